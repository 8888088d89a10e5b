import Testing
@testable import Gateway
import GatewayCore

/// `/docs`: one self-contained page built from the embedded openapi.yaml.
@Suite("/docs page")
struct DocsPageTests {
    func fetchDocs() throws -> HTTPResponse {
        var router = Router()
        router.addDocs()
        guard case .found(let handler, _, _) = router.match(method: .GET, path: "/docs"), case .sync(let h) = handler else {
            throw DocsTestError.noRoute
        }
        let loop = try EventLoop(name: "docs")
        return h(HTTPRequest(head: HTTPRequestHead(method: .GET, target: "/docs")), RequestContext(requestID: "r", pathParameters: [:], loop: loop))
    }

    enum DocsTestError: Error { case noRoute, missing(String) }

    /// The text between `open` and the next `</script>`/`</style>`.
    func between(_ html: String, _ open: String, _ close: String) throws -> String {
        guard let start = html.firstRange(of: open) else { throw DocsTestError.missing(open) }
        let rest = html[start.upperBound...]
        guard let end = rest.firstRange(of: close) else { throw DocsTestError.missing(close) }
        return String(rest[..<end.lowerBound])
    }

    /// `(METHOD, /path)` of every operation, read off the YAML text's own layout.
    static func specOperations() -> (paths: [String], operations: Int) {
        var paths: [String] = []
        var operations = 0
        var inPaths = false
        for line in OpenAPIDocument.yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths && !line.hasPrefix(" ") && !line.isEmpty { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && !line.hasPrefix("   ") { paths.append(String(line.dropFirst(2).dropLast())) }
            if line.hasPrefix("    ") && !line.hasPrefix("     "),
               ["get:", "put:", "post:", "patch:", "delete:"].contains(line.dropFirst(4)) { operations += 1 }
        }
        return (paths, operations)
    }

    @Test func answersHTMLWithAStrictPolicyWhoseHashesMatchTheInlineCode() throws {
        let r = try fetchDocs()
        #expect(r.status == 200)
        #expect(r.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(r.headers["X-Content-Type-Options"] == "nosniff")
        let html = String(decoding: r.body, as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>"))
        let style = try between(html, "<style>", "</style>")
        let script = try between(html, "<script>", "</script>")
        #expect(style.contains("details.op"))
        #expect(script.contains("fetch(target"))
        func hash(_ s: String) -> String { "'sha256-" + Base64.encode(sha256(Array(s.utf8))) + "'" }
        #expect(r.headers["Content-Security-Policy"] ==
            "default-src 'none'; script-src \(hash(script)); style-src \(hash(style)); connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    }

    @Test func fetchesNothingFromElsewhere() throws {
        let html = String(decoding: try fetchDocs().body, as: UTF8.self)
        // No external script, style, font or image: no src attribute, no <link>, no @import or url().
        #expect(!html.contains(" src="))
        #expect(!html.contains("<link"))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
        // Exactly two script elements (the JSON data block and the code), one style element.
        #expect(html.split(separator: "<script", omittingEmptySubsequences: false).count == 3)
        #expect(html.split(separator: "</script>", omittingEmptySubsequences: false).count == 3)
        #expect(html.split(separator: "<style>", omittingEmptySubsequences: false).count == 2)
        // Style and script apply only through the hashed elements: no inline handlers or style attributes.
        #expect(!html.contains(" style="))
        #expect(!html.contains(" onclick="))
    }

    @Test func theInlinedSpecParsesBackWithEveryPathAndTypedValues() throws {
        let html = String(decoding: try fetchDocs().body, as: UTF8.self)
        let data = try between(html, "<script type=\"application/json\" id=\"spec\">", "</script>")
        let spec = try JSON.parse(data)
        let expected = Self.specOperations()
        #expect(expected.paths.count >= 30)
        #expect(spec["paths"]?.objectValue?.keys == expected.paths)
        var operations = 0
        for (_, item) in spec["paths"]?.objectValue ?? JSONObject() {
            for m in ["get", "put", "post", "patch", "delete"] where item[m] != nil {
                operations += 1
                #expect(item[m]?["operationId"]?.stringValue?.isEmpty == false)
            }
        }
        #expect(operations == expected.operations)
        #expect(spec["paths"]?["/docs"]?["get"]?["operationId"] == "getDocs")
        #expect(spec["openapi"] == "3.1.0")
        // YAML scalars keep their types; quoted status codes stay strings; $refs stay for the page to resolve.
        let limit = spec["components"]?["parameters"]?["Limit"]
        #expect(limit?["schema"] == ["type": "integer", "minimum": 1, "maximum": 200, "default": 50])
        #expect(spec["components"]?["parameters"]?["Id"]?["required"] == true)
        #expect(spec["paths"]?["/contacts"]?["get"]?["responses"]?["200"]?["description"] == "A page of contacts.")
        #expect(spec["paths"]?["/contacts"]?["get"]?["parameters"]?[3]?["$ref"] == "#/components/parameters/Limit")
        #expect(spec["paths"]?["/contacts/{id}"]?["get"]?["responses"]?["304"]?["$ref"] == "#/components/responses/NotModified")
    }

    @Test func theDataBlockCannotBeClosedByTheSpecsText() throws {
        #expect(DocsPage.inlineJSON(["a": "</script><!-- <b>"]) == #"{"a":"\u003c/script>\u003c!-- \u003cb>"}"#)
        #expect(try JSON.parse(DocsPage.inlineJSON(["a": "</script>"])) == ["a": "</script>"])
    }

    @Test func yamlScalarsBecomeJSONValues() throws {
        let json = try DocsPage.specJSON(yaml: """
            a: 1
            b: 2.5
            c: true
            d: null
            e: '200'
            f: 3.1.0
            g: [x, {y: ~}]
            200: int key
            """)
        #expect(json == ["a": 1, "b": 2.5, "c": true, "d": nil, "e": "200", "f": "3.1.0", "g": ["x", ["y": nil]], "200": "int key"])
    }

    @Test func aBrokenSpecStillGivesAPageThatSaysSo() throws {
        let page = DocsPage.render(yaml: "paths: [unclosed")
        let html = String(decoding: page.html, as: UTF8.self)
        let data = try between(html, "<script type=\"application/json\" id=\"spec\">", "</script>")
        #expect(try JSON.parse(data)["error"]?.stringValue?.hasPrefix("openapi.yaml could not be read: ") == true)
    }
}
