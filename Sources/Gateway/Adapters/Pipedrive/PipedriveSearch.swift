import GatewayCore

/// `GET /api/v2/{persons,organizations,deals}/search` answers slim search items
/// (`data.items[{result_score, item}]`) with their own cursor. A page of search hits is turned
/// into full records by one list call with `ids=` (at most 100 ids per call), put back in the
/// search's order, so searched records map like listed ones.
extension PipedriveClient {
    static let idsPerCall = 100

    func searchRecords(_ plural: String, query: [(String, String)], page: PageRequest,
                       context: AdapterContext) async throws(GatewayError) -> (items: [JSON], next: String?) {
        let path = "/api/v2/\(plural)/search"
        let r = try await send("GET", path, query: query + Self.paging(page), context: context)
        var ids: [Int] = []
        for hit in try items(r["data"]?["items"], path) {
            guard let id = hit["item"]?["id"]?.intValue else { throw caller.invalid("\(path): a search item without an id") }
            if !ids.contains(id) { ids.append(id) }
        }
        let next = Self.nextCursor(r)
        guard !ids.isEmpty else { return ([], next) }
        var byID: [Int: JSON] = [:]
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<min(ids.count, start + Self.idsPerCall)]
            let list = try await self.list("/api/v2/\(plural)",
                                           query: [("ids", chunk.map(String.init).joined(separator: ",")), ("limit", String(chunk.count))],
                                           context: context)
            for item in list.items { if let id = item["id"]?.intValue { byID[id] = item } }
            start += Self.idsPerCall
        }
        // A record deleted between the two calls is left out.
        return (ids.compactMap { byID[$0] }, next)
    }
}
