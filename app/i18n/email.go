package i18n

import "fmt"

// EmailText is every string the emails show, for one language. The HTML
// templates and the plain-text bodies both read from it, so a wording
// change is made once and a second language is one more constructor.
type EmailText struct {
	Lang     string // the html lang attribute
	Wordmark string // the header, set as text: email clients block images
	Portal   string // the service's name, in the footer and subjects

	Greeting     func(company string) string
	CustomerCode func(code string) string // must contain the code verbatim
	AntiPhishing string
	NotYou       string // for a request the reader did not make
	NoReply      string

	Reset           ResetEmailText
	AskMainUser     AskMainUserEmailText
	PasswordChanged PasswordChangedEmailText
}

type ResetEmailText struct {
	Subject   string
	Received  string
	ClickLink string
	Button    string
	Expiry    func(hours int) string
	CopyPaste string
}

type AskMainUserEmailText struct {
	Subject   string
	Received  string
	SharedAcc string
	AskMain   string
	NoMain    string
}

type PasswordChangedEmailText struct {
	Subject string
	Changed string
	LogIn   string
	NotYou  string
}

// japaneseEmail is the Japanese catalogue. The reset wording follows the
// user guide (seed); its expiry advice there is written for shared users,
// so the main user is told what fits them: ask for a new link.
func japaneseEmail() EmailText {
	return EmailText{
		Lang:     "ja",
		Wordmark: "HÄFELE",
		Portal:   "ハーフェレオンライン",

		Greeting: func(company string) string {
			if company == "" {
				return "お客様"
			}
			return company + " ご担当者様"
		},
		CustomerCode: func(code string) string { return "お客様コードは " + code + " です。" },
		AntiPhishing: "当社からお客様のパスワード、クレジットカード、銀行口座番号の開示や確認を求めるメールをお客様に送ることは決してありません。" +
			"アカウント情報を更新するためのリンクが貼られた怪しい電子メールなどを受け取った場合は、クリックせず当社の営業担当者までご連絡ください。",
		NotYou:  "このメールにお心当たりがない場合は、お手数ですが本メールを破棄してください。パスワードは変更されません。",
		NoReply: "本メールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできませんので、ご了承ください。",

		Reset: ResetEmailText{
			Subject:   "【ハーフェレオンライン】パスワードの新規作成・再設定のご案内",
			Received:  "パスワードの新規作成または再設定登録するリクエストを受け取りました。",
			ClickLink: "パスワードの新規作成または再設定登録するには、以下のリンクをクリックしてください。",
			Button:    "パスワードを新規作成・再設定する",
			Expiry: func(hours int) string {
				return fmt.Sprintf("※セキュリティ対策のためリンクの有効期限は%d時間となっています。", hours) +
					"有効期限を過ぎた場合は、ログイン画面の「パスワードをお忘れですか？」から、もう一度パスワードリセットを申請してください。"
			},
			CopyPaste: "リンクをクリックしても動作しない場合は、リンクをコピーし、新しいブラウザウィンドウに貼り付けてください。",
		},
		AskMainUser: AskMainUserEmailText{
			Subject:   "【ハーフェレオンライン】パスワード再設定のお申し込みについて",
			Received:  "パスワードリセットの申請を受け付けました。",
			SharedAcc: "このメールアドレスは共有ユーザーとしてご登録いただいています。共有ユーザーのパスワードは、メインユーザーが管理しています。",
			AskMain:   "パスワードの新規作成または再設定は、貴社のメインユーザーにご依頼ください。",
			NoMain:    "メインユーザーがご不明の場合は、当社の営業担当者またはお問い合わせフォームからお問い合わせください。",
		},
		PasswordChanged: PasswordChangedEmailText{
			Subject: "【ハーフェレオンライン】パスワードが変更されました",
			Changed: "「ハーフェレオンライン」のパスワードが変更されました。",
			LogIn:   "今後は新しいパスワードでログインしてください。",
			NotYou: "このお手続きにお心当たりがない場合は、第三者による不正なアクセスのおそれがあります。" +
				"至急、当社の営業担当者またはお問い合わせフォームからご連絡ください。",
		},
	}
}
