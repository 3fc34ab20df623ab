import Foundation
import MikoPBX
import XCTest

/// Runs the JSON files in tests/scenarios (format in tests/README.md) against the simulator, with no
/// per-operation code: `Client.callOperationJson` with the scenario's arguments (the Rust method's,
/// by name); `minimal_permissions` is the one special op.
final class ScenariosTests: XCTestCase {
    let sim = Simulator.shared

    private static var scenarioDir: URL {
        if let dir = ProcessInfo.processInfo.environment["MIKOPBX_SCENARIOS"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/scenarios")
    }

    func testScenarios() async throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.scenarioDir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertFalse(files.isEmpty, "no scenarios in \(Self.scenarioDir.path)")
        var passed = 0
        var failures: [String] = []
        for file in files {
            let list = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [[String: Any]]
            for scenario in list {
                let name = "\(file.lastPathComponent): \(scenario["name"] as? String ?? "?")"
                do {
                    try await run(scenario)
                    passed += 1
                } catch {
                    failures.append("\(name): \(error)")
                }
            }
        }
        print("scenarios: \(passed) passed, \(failures.count) failed")
        for failure in failures { XCTFail(failure) }
        XCTAssertGreaterThan(passed, 0)
    }

    struct Mismatch: Error, CustomStringConvertible { let description: String }

    private func check(_ ok: Bool, _ what: @autoclosure () -> String) throws {
        if !ok { throw Mismatch(description: what()) }
    }

    private func run(_ s: [String: Any]) async throws {
        let admin = try sim.client()
        var key = sim.adminKey
        var paths: [String: Access]? = nil
        var network: NetworkFilter? = nil
        switch s["key"] {
        case nil, "admin" as String: break
        case "bogus" as String: key = String((0..<64).map { _ in "0123456789abcdef".randomElement()! })
        case let spec as [String: Any]:
            if let map = spec["permissions"] as? [String: String] {
                paths = map.mapValues { $0 == "write" ? Access.write : Access.read }
            }
            switch spec["network"] {
            case nil, "any" as String: network = .any
            case "localhost" as String: network = .localhost
            case let id as Int: network = .id(id: Int64(id))
            case let id as String: network = .id(id: Int64(id) ?? -1)
            default: throw Mismatch(description: "unknown network \(spec["network"] ?? "")")
            }
            let k = try await admin.apiKeys().generateKey()
            _ = try await admin.apiKeys().create(key: NewApiKey(description: "scenario key", key: k, fullPermissions: paths == nil, allowedPaths: paths ?? [:], network: network!))
            key = k.exposeSecret()
        default: throw Mismatch(description: "unknown key spec")
        }
        let c = s["client"] as? [String: Any] ?? [:]
        let url = (c["url"] as? String ?? sim.url)
            .replacingOccurrences(of: "{sim_http}", with: sim.url.replacingOccurrences(of: "https", with: "http"))
        var b = ClientBuilder(baseUrl: url).apiKey(key: key)
        if (c["trust"] as? String ?? "sim_ca") == "sim_ca" { b = b.trustCertificatePem(pem: sim.caPem) }
        b = b.localAddress(address: c["bind"] as? String ?? "127.0.0.1")
        if let retries = c["max_retries"] as? Int { b = b.maxRetries(retries: UInt32(retries)) }
        if let ua = (c["user_agent_suffix"] ?? c["user_agent"]) as? String { b = b.userAgentSuffix(suffix: ua) }
        if c["known_permissions"] as? Bool ?? false {
            b = paths == nil ? b.fullPermissions(network: network) : b.permissions(allowedPaths: paths!, network: network)
        }
        let call = s["call"] as! [String: Any]
        let expect = s["expect"] as! [String: Any]
        let result: Any
        do {
            result = try await invoke(try b.build(), call["op"] as! String, call["args"] as? [String: Any] ?? [:])
        } catch let error as MikoPbxError {
            guard let want = expect["error"] as? [String: Any] else {
                throw Mismatch(description: "unexpected error \(error.kindName()): \(error)")
            }
            return try checkError(error, want)
        }
        guard let ok = expect["ok"] as? [String: Any] else {
            throw Mismatch(description: "expected \(expect["error"] ?? "an error") but the call succeeded: \(result)")
        }
        try checkOk(result, ok)
    }

    /// `"today"` and `"-N days"` in `date_from`/`date_to`, anywhere in the arguments, as dates.
    private func resolveDates(_ value: Any) -> Any {
        switch value {
        case let map as [String: Any]:
            var out: [String: Any] = [:]
            for (k, v) in map {
                if k == "date_from" || k == "date_to", let text = v as? String { out[k] = date(text) } else { out[k] = resolveDates(v) }
            }
            return out
        case let list as [Any]: return list.map(resolveDates)
        default: return value
        }
    }

    private func date(_ text: String) -> String {
        var day = Date()
        if text != "today" {
            guard text.hasPrefix("-"), let n = Double(text.dropFirst().split(separator: " ")[0]) else { return text }
            day = day.addingTimeInterval(-n * 86400)
        }
        return ISO8601DateFormatter.string(from: day, timeZone: .current, formatOptions: [.withFullDate])
    }

    /// The result as JSON (`[String: Any]`, `[Any]`, `String`, `NSNumber` or `NSNull`): no
    /// per-operation code, every op goes through `callOperationJson`.
    private func invoke(_ client: Client, _ op: String, _ args: [String: Any]) async throws -> Any {
        if op == "minimal_permissions" {
            return try minimalPermissions(operations: args["ops"] as? [String] ?? [])
        }
        let argsJson = String(decoding: try JSONSerialization.data(withJSONObject: resolveDates(args)), as: UTF8.self)
        let text = try await client.callOperationJson(name: op, argsJson: argsJson)
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
    }

    private func checkError(_ e: MikoPbxError, _ want: [String: Any]) throws {
        let what = "\(e.kindName()): \(e)"
        try check(e.kindName() == want["kind"] as? String, "kind: want \(want["kind"] ?? "?"), got \(what)")
        if let status = want["status"] as? Int {
            try check(e.status().map(Int.init) == status, "status: want \(status), got \(what)")
        }
        if want["resource"] != nil || want["required"] != nil {
            guard case let .PermissionDenied(_, _, resource, _, required, _, _) = e else {
                throw Mismatch(description: "not a permission error: \(what)")
            }
            // The short form: the path segment after /api/v3/ (`.apiKeys` → "api-keys").
            let segment = resource.map { snake("\($0)").replacingOccurrences(of: "_", with: "-") } ?? "none"
            if let r = want["resource"] as? String { try check(segment == r, "resource: want \(r), got \(segment)") }
            if let r = want["required"] as? String { try check("\(required)" == r, "required: want \(r), got \(required)") }
        }
        if let tls = want["tls_kind"] as? String {
            guard case let .Tls(_, kind, _) = e else { throw Mismatch(description: "not a TLS error: \(what)") }
            try check(snake("\(kind)") == tls, "tls_kind: want \(tls), got \(kind)")
        }
        if let text = want["message_contains"] as? String {
            try check(e.localizedDescription.lowercased().contains(text.lowercased()), "message lacks \(text): \(what)")
        }
    }

    private func checkOk(_ result: Any, _ want: [String: Any]) throws {
        let items = (result as? [Any]) ?? []
        if let min = want["min_items"] as? Int { try check(items.count >= min, "got \(items.count) items, want ≥ \(min)") }
        if let max = want["max_items"] as? Int { try check(items.count <= max, "got \(items.count) items, want ≤ \(max)") }
        if let fields = want["fields"] as? [String: Any] { try checkFields(result, fields) }
        if let each = want["each"] as? [String: Any] { for item in items { try checkFields(item, each) } }
        if let text = want["contains"] as? String {
            let found = items.contains { item in
                (item as? [String: Any])?.values.contains { ($0 as? String)?.contains(text) ?? false } ?? false
            }
            try check(found, "no item contains \(text)")
        }
        if let equals = want["equals"] {
            try check(same(result, equals), "want \(equals), got \(result)")
        }
    }

    /// JSON equality: objects by key, arrays in order, scalars by their text (both sides come from
    /// the same JSON parser).
    private func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (x as [String: Any], y as [String: Any]):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { same(v, $0) } ?? false }
        case let (x as [Any], y as [Any]): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default: return text(a) == text(b)
        }
    }

    /// A JSON scalar as text, as the other runners write it: Foundation on Linux reads JSON
    /// booleans as `NSNumber`s that print as `0`/`1`, so they are told apart by their type code.
    private func text(_ value: Any) -> String {
        if let number = value as? NSNumber, String(cString: number.objCType) == "c" {
            return number.boolValue ? "true" : "false"
        }
        return "\(value)"
    }

    /// Fields of a JSON object, compared as text.
    private func checkFields(_ value: Any, _ fields: [String: Any]) throws {
        guard let object = value as? [String: Any] else { throw Mismatch(description: "not an object: \(value)") }
        for (name, want) in fields {
            let got = object[name].map(text)
            try check(got == text(want), "field \(name): want \(want), got \(got ?? "nil") in \(object)")
        }
    }

    private func snake(_ camel: String) -> String {
        camel.reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }
}
