// Hand-written Swift layer over the generated bindings: the one generic `AsyncSequence` behind the
// lists. `bindings/ffi/wrappers.py` generates, for every list cursor, `pager.items` and a
// restartable `api.listItems(query:)` on top of it:
//
//     for try await ext in client.extensions().listItems(query: ExtensionQuery(search: "20")) { … }

/// The items of a list, fetched page by page as the loop asks for them (one page in memory).
public struct PagedItems<Item: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Item
    public typealias NextPage = @Sendable () async throws -> [Item]?

    private let open: @Sendable () -> NextPage

    /// `open` is called once per iteration and returns the function that yields the next page
    /// (nil when the list is exhausted).
    public init(open: @escaping @Sendable () -> NextPage) {
        self.open = open
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let nextPage: NextPage
        private var buffer: [Item] = []
        private var index = 0
        private var done = false

        init(nextPage: @escaping NextPage) {
            self.nextPage = nextPage
        }

        public mutating func next() async throws -> Item? {
            while index >= buffer.count {
                if done { return nil }
                guard let page = try await nextPage() else {
                    done = true
                    return nil
                }
                buffer = page
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(nextPage: open())
    }

    /// Collects at most `limit` items (all of them when nil) into an array.
    public func collect(limit: Int? = nil) async throws -> [Item] {
        var out: [Item] = []
        for try await item in self {
            if let limit, out.count >= limit { break }
            out.append(item)
        }
        return out
    }
}
