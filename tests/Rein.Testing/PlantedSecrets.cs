using System.Globalization;
using System.Text;

namespace Rein.Testing;

/// <summary>A secret planted in a text: the text as sent, and the strings that must never be stored (the secret's
/// distinctive part, raw and in the form it was sent).</summary>
public sealed record PlantedSecret(string Name, string Text, IReadOnlyList<string> Needles)
{
    public override string ToString() => Name;
}

/// <summary>Text that looks like a secret and is not: it must be stored as sent.</summary>
public sealed record LookAlike(string Name, string Text)
{
    public override string ToString() => Name;
}

/// <summary>
/// The corpus of planted secrets of issue 13: every form the redactor must catch and their harmless look-alikes.
/// Each case's secret is distinct (its case number is in it), so a byte search finds exactly that case. Secret-shaped
/// values are assembled at run time so that secret scanners do not flag this file.
/// </summary>
public static class PlantedSecrets
{
    public static IReadOnlyList<PlantedSecret> Cases { get; } = Build();

    public static IReadOnlyList<LookAlike> LookAlikes { get; } =
    [
        new("prose", "Please reset your password before Monday; the token count was 512 and the secret is out."),
        new("prose_colon", "Password: required. Token: see the docs. Secret: none given."),
        new("token_count_fields", "max_tokens=1024 tokenizer=cl100k_base input_tokens: 812"),
        new("order_failing_luhn", "Order 4111 1111 1111 1112 shipped"),
        new("order_and_code_failing_luhn", "order 1234567812345678 123 was late"),
        new("short_base64", "hello is aGVsbG8gd29ybGQ= in base64"),
        new("base64_prose", "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZw=="),
        new("sha256", "digest e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        new("placeholders", "password=<your password> token=${API_TOKEN} secret=**** api_key=null"),
        new("working_directory", "PWD=/home/rein/work OLDPWD=/tmp"),
        new("code_reference", "api_key = config.api_key; password=os.getenv(\"DB_PASSWORD\")"),
        new("full_width_prose", "ＡＢＣ株式会社の注文番号は１２３です。"),
        new("url_encoded_prose", "https://example.com/search?q=hello%20world&page=2"),
        new("hyphenated_words", "risk-assessment-2024-q3-final-report and task-1234567890abcdefghij"),
        new("place_names", "Offices in Asia Pacific, Slovakia and Akiak"),
        new("dotted_words", "monkeyJumped.overTheFence.again"),
        new("time_of_day", "session token expired at 12:30: please log in again"),
    ];

    private static List<PlantedSecret> Build()
    {
        var cases = new List<PlantedSecret>();
        var n = 0;
        void Add(string name, Func<int, (string Text, string[] Needles)> make)
        {
            var (text, needles) = make(++n);
            cases.Add(new PlantedSecret(name, text, needles));
        }

        Add("card_then_code", i => Card(i) is var c ? ($"card {c} 123", [c]) : default);
        Add("spaced_card_then_code", i => Card(i) is var c ? ($"{Spaced(c)} 123", [Spaced(c), c]) : default);
        Add("two_cards", i => (Card(i), Card(i + 50)) is var (a, b) ? ($"{a} {b}", [a, b]) : default);
        Add("password_pair", i => Password(i) is var p ? ($"login with password={p} now", [p]) : default);
        Add("json_password", i => Password(i) is var p ? ($"{{\"user\": \"ana\", \"password\": \"{p}\"}}", [p]) : default);
        Add("passwd_colon", i => Value(i) is var v ? ($"passwd: {v}", [v]) : default);
        Add("pwd_pair", i => Password(i) is var p ? ($"pwd={p}", [p]) : default);
        Add("secret_pair", i => Value(i) is var v ? ($"secret={v}", [v]) : default);
        Add("token_query", i => Value(i) is var v ? ($"https://api.example.com/cb?token={v}&state=ok", [v]) : default);
        Add("api_key_pair", i => Value(i) is var v ? ($"API_KEY={v}", [v]) : default);
        Add("apikey_json", i => Value(i) is var v ? ($"{{\"apiKey\":\"{v}\"}}", [v]) : default);
        Add("client_secret_query", i => Value(i) is var v ? ($"/oauth/token?client_id=app&client_secret={v}", [v]) : default);
        Add("access_token_json", i => Value(i) is var v ? ($"{{ \"access_token\" : \"{v}\", \"expires_in\": 3600 }}", [v]) : default);
        Add("url_encoded_password", i => Password(i) is var p ? ($"body=user%3Dana%26password%3D{p}", [p]) : default);
        Add("url_encoded_aws_key", i => AwsBody(i) is var b ? ($"q=k%3DAKIA{b}", [b]) : default);
        Add("base64_github_token", i => GitHubBody(i) is var b && Convert.ToBase64String(Encoding.UTF8.GetBytes("ghp_" + b)) is var e ? ($"blob {e} end", [e, b]) : default);
        Add("base64_password_pair", i => Password(i) is var p && Convert.ToBase64String(Encoding.UTF8.GetBytes("password=" + p)) is var e ? ($"config {e}", [e, p]) : default);
        Add("lowercase_aws_key", i => ("akia" + AwsBody(i)).ToLowerInvariant() is var k ? ($"id {k}", [k[4..]]) : default);
        Add("full_width_aws_key", i => FullWidth("AKIA" + AwsBody(i)) is var k ? ($"id {k} end", [k, k[4..], AwsBody(i)]) : default);
        Add("zero_width_aws_key", i => AwsBody(i) is var b ? ($"id AK\u200BIA{b}", [b]) : default);
        Add("zero_width_github_token", i => GitHubBody(i) is var b ? ($"gh\u200Dp_{b[..10]}\u200B{b[10..]}", [b[..10], b[10..]]) : default);
        Add("glued_github_token", i => GitHubBody(i) is var b ? ($"tokenghp_{b}", [b]) : default);
        Add("uppercase_github_token", i => GitHubBody(i) is var b ? ($"GHP_{b}", [b]) : default);
        Add("glued_aws_key", i => AwsBody(i) is var b ? ($"keyAKIA{b}", [b]) : default);
        return cases;
    }

    /// <summary>A Visa-shaped number that passes the Luhn check, distinct per case.</summary>
    public static string Card(int i)
    {
        var body = "4" + "9" + (1_000_000_000_000L + (i * 7_919_123L)).ToString(CultureInfo.InvariantCulture)[..13];
        var sum = 0;
        for (var k = 0; k < body.Length; k++)
        {
            var d = body[body.Length - 1 - k] - '0';
            if (k % 2 == 0)
            {
                d *= 2;
                d = d > 9 ? d - 9 : d;
            }

            sum += d;
        }

        return body + (char)('0' + ((10 - (sum % 10)) % 10));
    }

    private static string Spaced(string card) => string.Join(' ', card.Chunk(4).Select(c => new string(c)));

    private static string Password(int i) => string.Create(CultureInfo.InvariantCulture, $"Hnt{i:D2}rQ7vLx");

    private static string Value(int i) => string.Create(CultureInfo.InvariantCulture, $"Vq{i:D2}x8Lm3Rt9Wz5Kp");

    // 16 characters of [A-Z0-9] after AKIA.
    private static string AwsBody(int i) => string.Create(CultureInfo.InvariantCulture, $"{i:D2}PLNTQ7ZX4W9K2M");

    // 36 alphanumerics after ghp_.
    private static string GitHubBody(int i) => string.Create(CultureInfo.InvariantCulture, $"Pl4nt{i:D2}aBcDeFgHiJkLmNoPqRsTuVwXyZ012");

    private static string FullWidth(string ascii) => new([.. ascii.Select(c => (char)(c + 0xFEE0))]);
}
