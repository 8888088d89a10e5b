import GatewayCore
import Yams

/// `/docs`: a page for people, built from the embedded openapi.yaml (PRODUCT.md §3). One
/// self-contained HTML document: inline style and script (DocsPageAssets.swift), the spec as
/// JSON in a data block, nothing fetched from anywhere but this gateway. Its
/// Content-Security-Policy allows exactly that inline style and script (by SHA-256) and
/// `fetch()` to this origin (the "try it" of every GET).
enum DocsPage {
    struct Rendered: Sendable {
        var html: [UInt8]
        var contentSecurityPolicy: String
    }

    /// Built on first use (a YAML parse of the spec), then kept.
    static let rendered: Rendered = render(yaml: OpenAPIDocument.yaml)

    static func render(yaml: String) -> Rendered {
        let spec: JSON
        do {
            spec = try specJSON(yaml: yaml)
        } catch {
            spec = ["error": .string("openapi.yaml could not be read: \(error)")]
        }
        let css = DocsPageAssets.style
        let script = DocsPageAssets.script
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>crm-gateway API</title>
            <style>
            """
        html += css + "</style>\n</head>\n<body>\n" + DocsPageAssets.body
        html += "<script type=\"application/json\" id=\"spec\">" + inlineJSON(spec) + "</script>\n"
        html += "<script>" + script + "</script>\n</body>\n</html>\n"
        let csp = [
            "default-src 'none'",
            "script-src '\(cspHash(script))'",
            "style-src '\(cspHash(css))'",
            "connect-src 'self'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
        return Rendered(html: Array(html.utf8), contentSecurityPolicy: csp)
    }

    /// A CSP hash source (CSP Level 3 §2.3.1) of an inline element's exact text.
    static func cspHash(_ text: String) -> String {
        "sha256-" + Base64.encode(sha256(Array(text.utf8)))
    }

    /// JSON that is safe inside `<script type="application/json">`: `<` can only occur inside
    /// strings, where `\u003c` means the same, so no `</script>` or `<!--` can end the block.
    static func inlineJSON(_ value: JSON) -> String {
        var out: [UInt8] = []
        for b in value.serialized() {
            if b == UInt8(ascii: "<") { out.append(contentsOf: Array("\\u003c".utf8)) } else { out.append(b) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The spec, YAML to JSON, keys in document order.
    static func specJSON(yaml: String) throws -> JSON {
        guard let root = try Yams.compose(yaml: yaml) else { return .object(JSONObject()) }
        return json(root)
    }

    private static func json(_ node: Node) -> JSON {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSON.bool) ?? .string(scalar.string)
            case .int: return node.int.map(JSON.int) ?? .string(scalar.string)
            case .float:
                if let d = node.float, d.isFinite { return .double(d) }
                return .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            return .object(JSONObject(mapping.map { (key: Node, value: Node) in (key.scalar?.string ?? "", json(value)) }))
        case .sequence(let sequence):
            return .array(sequence.map { json($0) })
        case .alias:
            return .null
        }
    }
}

extension Router {
    /// `/docs`: the page above, with headers that keep it self-contained.
    mutating func addDocs() {
        add(.GET, "/docs", .sync { _, _ in
            let page = DocsPage.rendered
            var r = HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: page.html)
            r.headers.add("Content-Security-Policy", page.contentSecurityPolicy)
            r.headers.add("X-Content-Type-Options", "nosniff")
            r.headers.add("Referrer-Policy", "no-referrer")
            r.headers.add("Cache-Control", "no-cache")
            return r
        })
    }
}
