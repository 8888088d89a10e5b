import Gateway
import GatewayCore
import Testing

/// Client API keys (issue 7): missing, wrong, read-only on a write, rate-limited.
@Suite struct ClientAuthTests {
    static let writeKey = "crmgw_write-key-for-tests"
    static let readKey = "crmgw_read-key-for-tests"
    let auth = ClientAuthenticator(keys: [
        ClientKey(name: "web", digest: ClientKey.digestHex(Self.writeKey), scope: .write),
        ClientKey(name: "dash", digest: ClientKey.digestHex(Self.readKey), scope: .read,
                  rate: TokenBucket.Rate(count: 2, per: .seconds(60))),
    ])
    let t0 = LoopInstant(nanoseconds: 1_000_000_000)

    @Test func noKeysConfiguredMeansNoCheck() {
        let open = ClientAuthenticator(keys: [])
        #expect(!open.required)
        #expect(open.check(method: .DELETE, authorization: nil, now: t0) == .allowed(client: nil))
    }

    @Test func aMissingKeyIs401WithAChallenge() throws {
        let v = auth.check(method: .GET, authorization: nil, now: t0)
        #expect(v == .unauthenticated(detail: "this call needs an API key: send Authorization: Bearer <key>", invalidToken: false))
        let r = try #require(ClientAuthenticator.response(v, requestID: "r1"))
        #expect(r.status == 401)
        #expect(r.headers["WWW-Authenticate"] == "Bearer realm=\"crm-gateway\"")
        #expect(r.headers["Content-Type"] == "application/problem+json")
        let body = try JSON.parse(r.body)
        #expect(body["status"] == 401 && body["request_id"] == "r1")
    }

    @Test func aWrongKeyOrSchemeIs401InvalidToken() throws {
        for header in ["Bearer crmgw_not-a-key", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", Self.writeKey] {
            let v = auth.check(method: .GET, authorization: header, now: t0)
            guard case .unauthenticated(_, true) = v else {
                Issue.record("\(header.prefix(12))...: \(v)")
                continue
            }
            let r = try #require(ClientAuthenticator.response(v, requestID: "r"))
            #expect(r.headers["WWW-Authenticate"] == "Bearer realm=\"crm-gateway\", error=\"invalid_token\"")
            #expect(!String(decoding: r.body, as: UTF8.self).contains("crmgw_"), "the key is never echoed")
        }
    }

    @Test func theSchemeIsCaseInsensitive() {
        #expect(auth.check(method: .POST, authorization: "bearer " + Self.writeKey, now: t0) == .allowed(client: "web"))
        #expect(auth.check(method: .PATCH, authorization: "BEARER  " + Self.writeKey, now: t0) == .allowed(client: "web"))
    }

    @Test func aReadOnlyKeyReadsButCannotWrite() throws {
        #expect(auth.check(method: .GET, authorization: "Bearer " + Self.readKey, now: t0) == .allowed(client: "dash"))
        for m in [HTTPMethod.POST, .PATCH, .PUT, .DELETE] {
            let v = auth.check(method: m, authorization: "Bearer " + Self.readKey, now: t0)
            #expect(v == .forbidden(client: "dash", detail: "the API key of dash is read-only; \(m.rawValue) needs a key with scope write"))
            #expect(ClientAuthenticator.response(v, requestID: "r")?.status == 403)
        }
    }

    @Test func aKeyOverItsRateGets429WithRetryAfterAndRecovers() throws {
        let h = "Bearer " + Self.readKey
        #expect(auth.check(method: .GET, authorization: h, now: t0) == .allowed(client: "dash"))
        #expect(auth.check(method: .GET, authorization: h, now: t0) == .allowed(client: "dash"))
        let v = auth.check(method: .GET, authorization: h, now: t0)
        // Two per minute: the next slot is 30 s after the first.
        #expect(v == .rateLimited(client: "dash", retryAfter: 30))
        let r = try #require(ClientAuthenticator.response(v, requestID: "r"))
        #expect(r.status == 429 && r.headers["Retry-After"] == "30")
        // Another key is not affected by dash's limit.
        #expect(auth.check(method: .GET, authorization: "Bearer " + Self.writeKey, now: t0) == .allowed(client: "web"))
        #expect(auth.check(method: .GET, authorization: h, now: t0 + .seconds(30)) == .allowed(client: "dash"))
    }

    @Test func generatedKeysAreLongRandomAndMatchTheirDigest() {
        let a = ClientKey.generate(), b = ClientKey.generate()
        #expect(a.key != b.key)
        #expect(a.key.hasPrefix("crmgw_") && a.key.count == 49)
        #expect(a.digest == ClientKey.digestHex(a.key) && a.digest.count == 64)
        // SHA-256 known answer (FIPS 180-2 "abc").
        #expect(ClientKey.digestHex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
