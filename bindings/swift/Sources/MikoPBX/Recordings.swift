import Foundation

// Hand-written Swift layer over the generated bindings: a recording's bytes as an
// `AsyncSequence`:
//
//     let recording = client.cdr().recording(record: record, options: nil)
//     for try await chunk in recording.chunks { … }   // or: try await recording.save(path: …)

extension Recording {
    /// The recording chunk by chunk, each byte exactly once (a cut connection is resumed with a
    /// byte range by the core). Iterating again downloads again.
    public var chunks: RecordingChunks { RecordingChunks(recording: self) }
}

/// See `Recording.chunks`.
public struct RecordingChunks: AsyncSequence {
    public typealias Element = Data
    let recording: Recording

    public struct AsyncIterator: AsyncIteratorProtocol {
        let recording: Recording
        var stream: RecordingStream?

        public mutating func next() async throws -> Data? {
            if stream == nil { stream = try await recording.open() }
            return try await stream?.nextChunk()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(recording: recording, stream: nil)
    }
}
