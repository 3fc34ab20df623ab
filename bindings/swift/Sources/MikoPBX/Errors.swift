import Foundation

// The core's error prints as its human message (the exported Rust `Display`, the generated
// `description`): in `"\(error)"`, `localizedDescription` and `errorDescription`, the same text
// as Kotlin's `message`.
extension MikoPbxError: CustomStringConvertible, LocalizedError {
    public var errorDescription: String? { description }
}
