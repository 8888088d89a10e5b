import GatewayCore

/// The secrets senders prove they know (§7). In sandbox mode: Hana token `sandbox-secret`,
/// Text Request signs with its API key `sandbox-key`, Pipedrive Basic `sandbox:sandbox-secret`.
public struct WebhookSecrets: Sendable {
    public var hanaToken: String?
    public var textRequestKey: String?
    public var pipedriveUser: String?
    public var pipedrivePassword: String?
    /// Text Request's signed timestamp must be this close to our clock (the vendor sample: 5 min).
    public var textRequestWindowSeconds: Int64 = 300

    public init(hanaToken: String? = nil, textRequestKey: String? = nil, pipedriveUser: String? = nil, pipedrivePassword: String? = nil) {
        self.hanaToken = hanaToken
        self.textRequestKey = textRequestKey
        self.pipedriveUser = pipedriveUser
        self.pipedrivePassword = pipedrivePassword
    }

    public static let sandbox = WebhookSecrets(hanaToken: "sandbox-secret", textRequestKey: "sandbox-key",
                                               pipedriveUser: "sandbox", pipedrivePassword: "sandbox-secret")
}

/// Sender authentication, one function per upstream; each says why it refused (for the 401's
/// detail), never what was expected.
public enum WebhookAuth {
    /// Hana can only be given a URL: `?token=<secret>`, or `Authorization: Bearer <secret>`.
    public static func hana(query: String?, headers: HTTPHeaders, secret: String?) -> String? {
        guard let secret, !secret.isEmpty else { return "no Hana webhook secret is configured" }
        var given: String?
        if let pairs = FormEncoding.pairs(query ?? "") { given = pairs.last { $0.0 == "token" }?.1 }
        if given == nil, let auth = headers["Authorization"], auth.lowercased().hasPrefix("bearer ") {
            given = String(auth.dropFirst(7)).trimmingSpaces()
        }
        guard let given else { return "missing token" }
        return constantTimeEquals(Array(given.utf8), Array(secret.utf8)) ? nil : "wrong token"
    }

    /// `x-tr-webhook-signature` = Base64(HMAC-SHA256(API key, "{timestamp}.{raw body}")), and
    /// `x-tr-webhook-timestamp` (unix seconds) within the window of `nowSeconds` (FACTS 2.6).
    public static func textRequest(headers: HTTPHeaders, body: [UInt8], key: String?, nowSeconds: Int64, window: Int64) -> String? {
        guard let key, !key.isEmpty else { return "no Text Request API key is configured" }
        guard let ts = headers["x-tr-webhook-timestamp"], let seconds = Int64(ts) else { return "missing or malformed x-tr-webhook-timestamp" }
        guard let signature = headers["x-tr-webhook-signature"], let given = Base64.decode(signature) else {
            return "missing or malformed x-tr-webhook-signature"
        }
        guard abs(nowSeconds - seconds) <= window else { return "timestamp outside the \(window) s window" }
        let expected = hmacSHA256(key: Array(key.utf8), message: Array((ts + ".").utf8) + body)
        return constantTimeEquals(given, expected) ? nil : "wrong signature"
    }

    /// Pipedrive webhooks v2 send the credentials given at registration as HTTP Basic.
    public static func pipedrive(headers: HTTPHeaders, user: String?, password: String?) -> String? {
        guard let user, let password else { return "no Pipedrive webhook credentials are configured" }
        guard let auth = headers["Authorization"], auth.lowercased().hasPrefix("basic "),
              let decoded = Base64.decode(String(auth.dropFirst(6)).trimmingSpaces()) else { return "missing Basic credentials" }
        return constantTimeEquals(decoded, Array("\(user):\(password)".utf8)) ? nil : "wrong credentials"
    }
}
