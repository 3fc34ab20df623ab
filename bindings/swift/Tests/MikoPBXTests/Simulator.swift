import Foundation
import MikoPBX

/// A running `mikopbx-sim` process (the binary cargo built) with its URL, CA and admin key.
final class Simulator: @unchecked Sendable {
    let url: String
    let caPem: String
    let adminKey: String
    private let process: Process
    private let stateDir: URL

    /// The simulator shared by every test of this process.
    /// Like every scenario runner it stores localhost network filters as asked (a real PBX's REST
    /// API drops them, which the SDK refuses; see tests/README.md); otherwise the default sim.
    static let shared: Simulator = {
        do { return try Simulator(extraArguments: ["--no-network-filter-quirk"]) } catch {
            fatalError("cannot start the simulator: \(error)")
        }
    }()

    private static var binary: String {
        if let path = ProcessInfo.processInfo.environment["MIKOPBX_SIM"] { return path }
        // Tests/MikoPBXTests/Simulator.swift → repository root → target/debug/mikopbx-sim
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.appendingPathComponent("target/debug/mikopbx-sim").path
    }

    init(extraArguments: [String] = []) throws {
        stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("mikopbx-sim-\(UUID().uuidString)")
        process = Process()
        process.executableURL = URL(fileURLWithPath: Simulator.binary)
        process.arguments = ["--addr", "127.0.0.1:0", "--state-dir", stateDir.path] + extraArguments
        let stdout = Pipe()
        process.standardOutput = stdout
        // Never hand the simulator the test runner's own stdin/stderr: `swift test` waits for them
        // to close, so a stray simulator would hang the run.
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = stdout.fileHandleForReading
        var text = ""
        var found: String?
        let deadline = Date().addingTimeInterval(30)
        while found == nil, Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: #"https?://[^\s]+"#, options: .regularExpression) {
                found = String(text[range])
            }
        }
        guard let url = found else {
            process.terminate()
            throw NSError(domain: "Simulator", code: 1, userInfo: [NSLocalizedDescriptionKey: "no URL in: \(text)"])
        }
        // Keep draining stdout so the simulator never blocks on a full pipe.
        reader.readabilityHandler = { handle in _ = handle.availableData }
        self.url = url
        caPem = try String(contentsOf: stateDir.appendingPathComponent("ca.pem"), encoding: .utf8)
        adminKey = try String(contentsOf: stateDir.appendingPathComponent("admin-key.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        atexit_register(self)
    }

    func builder(key: String? = nil) -> ClientBuilder {
        ClientBuilder(baseUrl: url).apiKey(key: key ?? adminKey).trustCertificatePem(pem: caPem)
    }

    func client(key: String? = nil) throws -> Client { try builder(key: key).build() }

    /// The port of the simulator's Asterisk HTTPS listener (AJAM, for click-to-call).
    var ajamPort: UInt16 {
        let text = (try? String(contentsOf: stateDir.appendingPathComponent("ajam-url.txt"), encoding: .utf8)) ?? ""
        return UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").last ?? "") ?? 0
    }

    /// `state.json` as text: its `ajam_log` holds the originates AJAM accepted.
    func stateText() -> String {
        (try? String(contentsOf: stateDir.appendingPathComponent("state.json"), encoding: .utf8)) ?? ""
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            // Graceful shutdown may wait for open connections; do not let it outlive the tests.
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: stateDir)
    }
}

private nonisolated(unsafe) var running: [Simulator] = []
private func atexit_register(_ sim: Simulator) {
    if running.isEmpty { atexit { for sim in running { sim.stop() } } }
    running.append(sim)
}
