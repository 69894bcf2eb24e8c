package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// axeTags are the rule sets every state must pass: WCAG 2.0/2.1 A and AA,
// WCAG 2.2 AA, and axe's best practices.
const axeRun = `axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
  resultTypes: ["violations"]
}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact || "", help: v.help,
  nodes: v.nodes.map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 300))
})))`

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// layoutReport is what checkLayout measures in the page.
type layoutReport struct {
	Lang         string   `json:"lang"`
	ScrollWidth  float64  `json:"scrollWidth"`
	ClientWidth  float64  `json:"clientWidth"`
	SmallInputs  []string `json:"smallInputs"`
	SmallTargets []string `json:"smallTargets"`
}

// layoutJS checks, in the current page: lang="ja", no horizontal scroll,
// inputs at 16 px or more (iOS zooms into smaller ones on focus), and main
// controls (text inputs, buttons, the primary link-buttons) at least 44 px
// high, other links and controls at least 24 px (WCAG 2.5.8).
const layoutJS = `(function(){
  var de = document.documentElement;
  var r = {lang: de.lang, scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, smallInputs: [], smallTargets: []};
  function name(e){ return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(/\s+/)[0] : "") + " " + (e.textContent || "").trim().slice(0, 20); }
  function visible(e){ var b = e.getBoundingClientRect(); return b.width > 1 && b.height > 1 && getComputedStyle(e).visibility !== "hidden"; }
  document.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function(e){
    if (!visible(e)) return;
    if (parseFloat(getComputedStyle(e).fontSize) < 16) r.smallInputs.push(name(e));
  });
  document.querySelectorAll("input:not([type=hidden]), button, .btn-primary").forEach(function(e){
    if (!visible(e)) return;
    var b = e.getBoundingClientRect();
    var min = e.matches("[data-reveal]") ? 24 : 44;
    if (b.height < min - 0.5 || b.width < 24) r.smallTargets.push(name(e) + " " + Math.round(b.width) + "x" + Math.round(b.height));
  });
  document.querySelectorAll("a[href], summary").forEach(function(e){
    if (!visible(e) || e.closest("p, li") && getComputedStyle(e).display === "inline") return;
    var b = e.getBoundingClientRect();
    if (b.height < 23.5) r.smallTargets.push(name(e) + " " + Math.round(b.width) + "x" + Math.round(b.height));
  });
  return r;
})()`

// state records one page state: a screenshot named <state>-<width>.png,
// axe-core with zero violations required, and the layout checks.
func (p *tab) state(name string) {
	p.t.Helper()
	// Let a transition or the live region's delayed text settle, so the
	// screenshot shows the state as a user sees it.
	time.Sleep(80 * time.Millisecond)
	p.screenshot(name)
	p.checkLayout(name)
	p.runAxe(name)
}

func (p *tab) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(p.s.shots, fmt.Sprintf("%s-%d.png", name, p.vp.w))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *tab) checkLayout(name string) {
	p.t.Helper()
	r := evalJS[layoutReport](p, layoutJS)
	if r.Lang != "ja" {
		p.t.Errorf("%s (%dpx): <html lang=%q>; want ja", name, p.vp.w, r.Lang)
	}
	if r.ScrollWidth > r.ClientWidth {
		p.t.Errorf("%s (%dpx): horizontal scroll: scrollWidth %v > clientWidth %v", name, p.vp.w, r.ScrollWidth, r.ClientWidth)
	}
	if len(r.SmallInputs) > 0 {
		p.t.Errorf("%s (%dpx): inputs below 16px (phones zoom in on focus): %v", name, p.vp.w, r.SmallInputs)
	}
	if len(r.SmallTargets) > 0 {
		p.t.Errorf("%s (%dpx): targets too small: %v", name, p.vp.w, r.SmallTargets)
	}
}

// runAxe injects axe-core (once per document; it bypasses the page's CSP
// because DevTools evaluates it) and requires zero violations.
func (p *tab) runAxe(name string) {
	p.t.Helper()
	if p.jsOff {
		// axe needs timers and promises, which a page without script
		// execution does not run. Switching it on now runs none of the
		// page's own scripts (they were skipped when it loaded).
		p.setScriptsDisabled(false)
		defer p.setScriptsDisabled(true)
	}
	if !evalJS[bool](p, `typeof window.axe === "object"`) {
		evalJS[bool](p, p.s.axeJS+"\n;true")
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe %s: %v", name, err)
	}
	p.s.mu.Lock()
	p.s.axeStates++
	p.s.axeViolate += len(vs)
	p.s.mu.Unlock()
	for _, v := range vs {
		p.t.Errorf("axe %s (%dpx): %s [%s] %s\n    %s", name, p.vp.w, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n    "))
	}
}
