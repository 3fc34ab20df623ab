import Foundation
import MikoPBX
import XCTest

/// Learn mode through the builder (`recordUsage`). The `MIKOPBX_RECORD_USAGE` variable is read by
/// the same core `build()`; the CLI's and Python's tests cover the variable.
final class UsageTests: XCTestCase {
    func testRecordUsageWritesEachOperationOnce() async throws {
        let sim = Simulator.shared
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mikopbx-usage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("usage.txt")
        let client = try sim.builder().recordUsage(path: file.path).build()
        try await client.system().ping()
        try await client.system().ping()
        _ = try await client.extensions().get(number: "201")
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").map(String.init), ["# mikopbx usage v1", "system.ping", "extensions.get"])
        XCTAssertFalse(text.contains(sim.adminKey))
    }
}
