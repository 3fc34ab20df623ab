// Hand-written Swift layer over the generated bindings: a watcher's call events as an
// `AsyncSequence`:
//
//     let watcher = try client.calls().watch(options: WatchOptions(extensions: ["201"]))
//     for try await event in watcher.events { … }

extension CallWatcher {
    /// The watcher's events, one `nextEvent()` per step, so a slow loop never skips one. A failed
    /// poll ends the loop with its `MikoPbxError`; nothing is lost by that: iterate `events`
    /// again and the watcher goes on where it stopped.
    public var events: CallEvents { CallEvents(watcher: self) }
}

/// See `CallWatcher.events`.
public struct CallEvents: AsyncSequence {
    public typealias Element = CallEvent
    let watcher: CallWatcher

    public struct AsyncIterator: AsyncIteratorProtocol {
        let watcher: CallWatcher

        public mutating func next() async throws -> CallEvent? {
            try await watcher.nextEvent()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(watcher: watcher)
    }
}
