import Testing
@testable import Gateway
import GatewayCore

@Suite struct RouterTests {
    let router: Router = {
        var r = Router()
        r.add(.GET, "/contacts", .sync { _, _ in HTTPResponse(status: 200) })
        r.add(.POST, "/contacts", .sync { _, _ in HTTPResponse(status: 201) })
        r.add(.GET, "/contacts/{id}", .sync { _, _ in HTTPResponse(status: 200) })
        r.add(.GET, "/passthrough/{source}/{path+}", .sync { _, _ in HTTPResponse(status: 200) })
        return r
    }()

    @Test func literalAndParameterRoutesMatch() {
        guard case .found(_, let t, let p) = router.match(method: .GET, path: "/contacts/pipedrive:person:12") else {
            Issue.record("no match"); return
        }
        #expect(t == "/contacts/{id}")
        #expect(p == ["id": "pipedrive:person:12"])
    }

    @Test func percentEscapesInParametersAreDecoded() {
        guard case .found(_, _, let p) = router.match(method: .GET, path: "/contacts/textrequest%3Acontact%3A1%3A%2B15555550100") else {
            Issue.record("no match"); return
        }
        #expect(p["id"] == "textrequest:contact:1:+15555550100")
    }

    @Test func malformedEscapeIsNotAMatch() {
        guard case .notFound = router.match(method: .GET, path: "/contacts/%zz") else { Issue.record("matched"); return }
    }

    @Test func restParameterTakesTheRemainingPath() {
        guard case .found(_, _, let p) = router.match(method: .GET, path: "/passthrough/pipedrive/api/v2/persons") else {
            Issue.record("no match"); return
        }
        #expect(p == ["source": "pipedrive", "path": "api/v2/persons"])
    }

    @Test func wrongMethodListsTheAllowedOnes() {
        guard case .methodNotAllowed(let allowed) = router.match(method: .DELETE, path: "/contacts") else {
            Issue.record("expected 405"); return
        }
        #expect(Set(allowed.map(\.rawValue)) == ["GET", "POST", "HEAD"])
    }

    @Test func headFallsBackToGet() {
        guard case .found(_, let t, _) = router.match(method: .HEAD, path: "/contacts") else { Issue.record("no match"); return }
        #expect(t == "/contacts")
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = router.match(method: .GET, path: "/contactsx") else { Issue.record("matched"); return }
        guard case .notFound = router.match(method: .GET, path: "/contacts/1/2") else { Issue.record("matched"); return }
    }
}
