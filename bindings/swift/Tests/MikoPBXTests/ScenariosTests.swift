import Foundation
import MikoPBX
import XCTest

/// Runs the JSON files in tests/scenarios (format in tests/README.md) against the simulator.
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
            network = (spec["network"] as? String) == "localhost" ? .localhost : .any
            let k = try await admin.apiKeys().generateKey()
            _ = try await admin.apiKeys().create(description: "scenario key", key: k, allowedPaths: paths, network: network!)
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
        let result: Any?
        do {
            result = try await invoke(try b.build(), call["op"] as! String, call["args"] as? [String: Any] ?? [:])
        } catch let error as MikoPbxError {
            guard let want = expect["error"] as? [String: Any] else {
                throw Mismatch(description: "unexpected error \(error.kindName()): \(error)")
            }
            return try checkError(error, want)
        }
        guard let ok = expect["ok"] as? [String: Any] else {
            throw Mismatch(description: "expected \(expect["error"] ?? "an error") but the call succeeded")
        }
        try checkOk(result, ok)
    }

    private func date(_ text: String?) -> String? {
        guard let text else { return nil }
        var day = Date()
        if text != "today" {
            guard text.hasPrefix("-"), let n = Double(text.dropFirst().split(separator: " ")[0]) else { return text }
            day = day.addingTimeInterval(-n * 86400)
        }
        return ISO8601DateFormatter.string(from: day, timeZone: .current, formatOptions: [.withFullDate])
    }

    private func invoke(_ client: Client, _ op: String, _ a: [String: Any]) async throws -> Any? {
        let max = a["max_items"] as? Int
        let pageSize = (a["page_size"] as? Int).map { UInt32($0) }
        switch op {
        case "system.ping": try await client.system().ping(); return nil
        case "system.check_auth": try await client.system().checkAuth(); return nil
        case "sysinfo.get_info": return try await client.sysinfo().getInfo()
        case "pbx_status.active_calls": return try await client.pbxStatus().activeCalls()
        case "pbx_status.active_channels": return try await client.pbxStatus().activeChannels()
        case "api_keys.generate_key": return try await client.apiKeys().generateKey()
        case "api_keys.list": return try await client.apiKeys().listItems().collect(limit: max)
        case "extensions.get": return try await client.extensions().get(number: a["number"] as! String)
        case "extensions.available": return try await client.extensions().available(number: a["number"] as! String)
        case "extensions.list":
            return try await client.extensions()
                .listItems(query: ExtensionQuery(search: a["search"] as? String, type: a["type"] as? String, limit: pageSize))
                .collect(limit: max)
        case "employees.list":
            return try await client.employees()
                .listItems(query: EmployeeQuery(search: a["search"] as? String, limit: pageSize)).collect(limit: max)
        case "employees.get": return try await client.employees().get(id: a["id"] as! String)
        case "employees.delete": try await client.employees().delete(id: a["id"] as! String); return nil
        case "employees.create":
            return try await client.employees().create(employee: NewEmployee(
                number: a["number"] as! String, userUsername: a["user_username"] as! String, sipSecret: a["sip_secret"] as! String,
                userEmail: a["user_email"] as? String, mobileNumber: a["mobile_number"] as? String))
        case "employees.patch":
            return try await client.employees().patch(id: a["id"] as! String, patch: EmployeePatch(
                number: a["number"] as? String, userUsername: a["user_username"] as? String, sipSecret: a["sip_secret"] as? String,
                userEmail: a["user_email"] as? String, mobileNumber: a["mobile_number"] as? String))
        case "cdr.list":
            return try await client.cdr().listItems(query: CdrQuery(
                dateFrom: date(a["date_from"] as? String), dateTo: date(a["date_to"] as? String),
                srcNum: a["src_num"] as? String, dstNum: a["dst_num"] as? String, disposition: a["disposition"] as? String,
                pageSize: pageSize, maxItems: max.map { UInt64($0) })).collect()
        case "minimal_permissions":
            return try minimalPermissions(operations: a["ops"] as! [String])
        default: throw Mismatch(description: "unknown op \(op)")
        }
    }

    private func checkError(_ e: MikoPbxError, _ want: [String: Any]) throws {
        let what = "\(e.kindName()): \(e)"
        try check(e.kindName() == want["kind"] as? String, "kind: want \(want["kind"] ?? "?"), got \(what)")
        if let status = want["status"] as? Int {
            try check(e.httpStatus().map(Int.init) == status, "status: want \(status), got \(what)")
        }
        if want["resource"] != nil || want["required"] != nil {
            guard case let .PermissionDenied(_, _, _, _, resourceName, required, _, _) = e else {
                throw Mismatch(description: "not a permission error: \(what)")
            }
            if let r = want["resource"] as? String { try check(resourceName == r, "resource: want \(r), got \(resourceName)") }
            if let r = want["required"] as? String { try check((required == .write ? "write" : "read") == r, "required: want \(r), got \(required)") }
        }
        if let tls = want["tls_kind"] as? String {
            guard case let .Tls(_, _, kind) = e else { throw Mismatch(description: "not a TLS error: \(what)") }
            try check(snake("\(kind)") == tls, "tls_kind: want \(tls), got \(kind)")
        }
        if let text = want["message_contains"] as? String {
            try check(e.localizedDescription.lowercased().contains(text.lowercased()), "message lacks \(text): \(what)")
        }
    }

    private func checkOk(_ result: Any?, _ want: [String: Any]) throws {
        let items = (result as? [Any]) ?? []
        if let min = want["min_items"] as? Int { try check(items.count >= min, "got \(items.count) items, want ≥ \(min)") }
        if let max = want["max_items"] as? Int { try check(items.count <= max, "got \(items.count) items, want ≤ \(max)") }
        if let fields = want["fields"] as? [String: Any] {
            for (name, value) in fields { try check(field(result, name) == "\(value)", "field \(name): want \(value), got \(field(result, name) ?? "nil")") }
        }
        if let each = want["each"] as? [String: Any] {
            for item in items { for (name, value) in each { try check(field(item, name) == "\(value)", "field \(name) of \(item)") } }
        }
        if let text = want["contains"] as? String {
            try check(items.contains { item in Mirror(reflecting: item).children.contains { ($0.value as? String)?.contains(text) ?? false } }, "no item contains \(text)")
        }
        if let equals = want["equals"] {
            switch equals {
            case let map as [String: String]: try check((result as? [String: String]) == map, "want \(map), got \(String(describing: result))")
            case let flag as Bool: try check((result as? Bool) == flag, "want \(flag), got \(String(describing: result))")
            default: throw Mismatch(description: "unsupported equals \(equals)")
            }
        }
    }

    /// A record's field by its wire (snake_case) name; the generated structs use camelCase.
    private func field(_ value: Any?, _ wire: String) -> String? {
        guard let value else { return nil }
        let parts = wire.split(separator: "_")
        let camel = parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
        guard let child = Mirror(reflecting: value).children.first(where: { $0.label == camel }) else { return nil }
        if let optional = child.value as? String? { return optional }
        return "\(child.value)"
    }

    private func snake(_ camel: String) -> String {
        camel.reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }
}
