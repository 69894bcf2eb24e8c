// Tailwind CSS v3 configuration. Build with `go tool task css`; the minified
// output (assets/static/app.css) is committed so `go run` needs no npm.
/** @type {import('tailwindcss').Config} */
module.exports = {
  // Only the templates and app.js: Go files (generated or tests) would add
  // junk classes from code such as `!hidden` or `[i:j]`.
  content: ['./views/**/*.templ', './assets/static/app.js'],
  theme: {
    extend: {
      fontFamily: {
        // System fonts only: no web fonts to download (page weight, CSP, privacy).
        sans: [
          '"Hiragino Sans"',
          '"Hiragino Kaku Gothic ProN"',
          '"Noto Sans JP"',
          '"Noto Sans CJK JP"',
          'Meiryo',
          'sans-serif',
        ],
      },
      colors: {
        // Häfele red. Contrast against white (WCAG 2.x):
        //   brand-500 #d2051e 5.55:1, brand-600 #b0001a 7.34:1, brand-700 #9a0017 8.80:1.
        // Use brand-600 for text, links and button backgrounds (white text on it is 7.34:1),
        // brand-700 for hover/active. brand-50..300 are for backgrounds and borders only:
        // they are too light for text.
        brand: {
          DEFAULT: '#d2051e',
          50: '#fdf2f3',
          100: '#fde8ea',
          200: '#f8c6cc',
          300: '#f19aa5',
          400: '#e8344a',
          500: '#d2051e',
          600: '#b0001a',
          700: '#9a0017',
          800: '#7d0013',
          900: '#5c000e',
        },
      },
    },
  },
  plugins: [],
};
