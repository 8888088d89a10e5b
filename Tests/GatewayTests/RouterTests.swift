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

    @Test func threeOrMoreParametersAreAllBoundInTemplateOrder() {
        var r = Router()
        r.add(.GET, "/a/{x}/{y}/{z}/{w}", .sync { _, _ in HTTPResponse(status: 200) })
        guard case .found(_, _, let p) = r.match(method: .GET, path: "/a/1/two/%33/four") else { Issue.record("no match"); return }
        #expect(p["x"] == "1" && p["y"] == "two" && p["z"] == "3" && p["w"] == "four")
        #expect(p["v"] == nil)
        #expect(p.count == 4)
        #expect(p.pairs.map(\.name) == ["x", "y", "z", "w"])
        #expect(p == ["w": "four", "z": "3", "y": "two", "x": "1"])
        #expect(p != ["x": "1", "y": "two", "z": "3"])
        #expect(p.dictionary == ["x": "1", "y": "two", "z": "3", "w": "four"])
    }

    @Test func pathParametersSetReplaceAndRemove() {
        var p: PathParameters = ["a": "1", "b": "2", "c": "3"]
        p["b"] = "two"
        p["c"] = "three"
        p["d"] = "4"
        #expect(p.pairs.map(\.value) == ["1", "two", "three", "4"])
        p["a"] = nil
        #expect(p.pairs.map(\.name) == ["b", "c", "d"])
        #expect(p["a"] == nil && p["b"] == "two" && p.count == 3)
        #expect(PathParameters().isEmpty && !p.isEmpty)
    }

    @Test func firstSegmentsSharingAPrefixOrLengthAreKeptApart() {
        var r = Router()
        r.add(.GET, "/deal", .sync { _, _ in HTTPResponse(status: 201) })
        r.add(.GET, "/deals", .sync { _, _ in HTTPResponse(status: 202) })
        r.add(.GET, "/notes", .sync { _, _ in HTTPResponse(status: 203) })
        r.add(.GET, "/deals/{id}", .sync { _, _ in HTTPResponse(status: 204) })
        for (path, template) in [("/deal", "/deal"), ("/deals", "/deals"), ("/notes", "/notes"), ("/deals/x", "/deals/{id}")] {
            guard case .found(_, let t, _) = r.match(method: .GET, path: path) else { Issue.record("no match for \(path)"); continue }
            #expect(t == template)
        }
        guard case .notFound = r.match(method: .GET, path: "/notez") else { Issue.record("matched"); return }
    }

    @Test func pathsWithMoreSegmentsThanTheStackHoldsStillBind() {
        let deep = (1...40).map { "s\($0)" }.joined(separator: "/")
        guard case .found(_, let t, let p) = router.match(method: .GET, path: "/passthrough/pipedrive/" + deep) else {
            Issue.record("no match"); return
        }
        #expect(t == "/passthrough/{source}/{path+}")
        #expect(p["path"] == deep)
        // With an empty segment the rest is rejoined without it.
        guard case .found(_, _, let q) = router.match(method: .GET, path: "/passthrough/pipedrive/" + deep + "//x/") else {
            Issue.record("no match"); return
        }
        #expect(q["path"] == deep + "/x")
        guard case .notFound = router.match(method: .GET, path: "/contacts/" + deep) else { Issue.record("matched"); return }
        // Literals are compared as sent: an escaped literal is another segment.
        guard case .notFound = router.match(method: .GET, path: "/contact%73") else { Issue.record("matched"); return }
    }
}
