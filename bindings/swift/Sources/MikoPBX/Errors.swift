import Foundation

// `localizedDescription` (and `errorDescription`) of an SDK error is the core's human message,
// the same text as `description` and as Kotlin's `message`.
extension MikoPbxError: LocalizedError {
    public var errorDescription: String? { description }
}
