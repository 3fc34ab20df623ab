// Hand-written Swift layer over the generated bindings: list cursors as `AsyncSequence`s.
//
//     for try await ext in client.extensions().listItems(query: ExtensionQuery(search: "20")) { … }
//
// `listItems` is restartable: each `for try await` opens a new cursor and fetches pages lazily
// (one page in memory). `pager.items` drains an existing cursor once.

/// The items of a list, fetched page by page as the loop asks for them.
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
}

extension ExtensionPager {
    /// The remaining items of this cursor (single use: a cursor is not rewound).
    public var items: PagedItems<Extension> { PagedItems { { try await self.nextPage() } } }
}

extension EmployeePager {
    /// The remaining items of this cursor (single use).
    public var items: PagedItems<Employee> { PagedItems { { try await self.nextPage() } } }
}

extension CdrPager {
    /// The remaining items of this cursor (single use).
    public var items: PagedItems<CdrRecord> { PagedItems { { try await self.nextPage() } } }
}

extension CdrCallPager {
    /// The remaining items of this cursor (single use).
    public var items: PagedItems<CdrCall> { PagedItems { { try await self.nextPage() } } }
}

extension ApiKeyPager {
    /// The remaining items of this cursor (single use).
    public var items: PagedItems<ApiKeyInfo> { PagedItems { { try await self.nextPage() } } }
}

extension ExtensionsApi {
    /// Extensions matching `query`; each iteration starts from the first page.
    public func listItems(query: ExtensionQuery) -> PagedItems<Extension> {
        PagedItems { let pager = self.list(query: query); return { try await pager.nextPage() } }
    }
}

extension EmployeesApi {
    /// Employees matching `query`; each iteration starts from the first page.
    public func listItems(query: EmployeeQuery) -> PagedItems<Employee> {
        PagedItems { let pager = self.list(query: query); return { try await pager.nextPage() } }
    }
}

extension CdrApi {
    /// Call records matching `query`; each iteration starts from the first page.
    public func listItems(query: CdrQuery) -> PagedItems<CdrRecord> {
        PagedItems { let pager = self.list(query: query); return { try await pager.nextPage() } }
    }

    /// Calls (legs grouped by linkedid) matching `query`; each iteration starts from the first page.
    public func listCallsItems(query: CdrQuery) -> PagedItems<CdrCall> {
        PagedItems { let pager = self.listCalls(query: query); return { try await pager.nextPage() } }
    }
}

extension ApiKeysApi {
    /// Every API key record; each iteration starts from the first page.
    public func listItems() -> PagedItems<ApiKeyInfo> {
        PagedItems { let pager = self.list(); return { try await pager.nextPage() } }
    }
}

extension PagedItems {
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
