import Foundation
import MikoPBX
import XCTest

final class ClientTests: XCTestCase {
    let sim = Simulator.shared

    private func newKey(_ paths: [String: Access]?, network: NetworkFilter = .any) async throws -> String {
        let admin = try sim.client()
        let key = try await admin.apiKeys().generateKey()
        _ = try await admin.apiKeys().create(key: NewApiKey(description: "swift test", key: key, fullPermissions: paths == nil, allowedPaths: paths ?? [:], network: network))
        return key.exposeSecret()
    }

    /// Runs `body`, which must throw a `MikoPbxError`, and returns it.
    private func expectError(_ body: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line) async -> MikoPbxError? {
        do {
            try await body()
            XCTFail("expected an error", file: file, line: line)
        } catch let error as MikoPbxError {
            return error
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
        return nil
    }

    func testPingCheckAuthAndSysinfo() async throws {
        let client = try sim.client()
        try await client.system().ping()
        try await client.system().checkAuth()
        let info = try await client.sysinfo().getInfo()
        XCTAssertFalse(info.version.isEmpty, "\(info)")
    }

    func testExtensionByNumber() async throws {
        let ext = try await sim.client().extensions().get(number: "201")
        XCTAssertEqual(ext.number, "201")
        XCTAssertEqual(ext.type, "SIP")
    }

    func testNextPageWalksEveryPage() async throws {
        let pager = try sim.client().extensions().list(query: ExtensionQuery(type: "SIP", pageSize: 10))
        var sizes: [Int] = []
        while let page = try await pager.nextPage() {
            sizes.append(page.count)
            XCTAssertTrue(page.allSatisfy { $0.type == "SIP" })
        }
        // The core filters by type on its side too, so a page may hold fewer than 10.
        XCTAssertTrue(sizes.count >= 5 && sizes.allSatisfy { $0 <= 10 } && sizes.reduce(0, +) >= 50, "\(sizes)")
        let again = try await pager.nextPage()
        XCTAssertNil(again)
    }

    func testAsyncSequenceOverEmployeesIsRestartable() async throws {
        let items = try sim.client().employees().listItems(query: EmployeeQuery(pageSize: 7))
        var count = 0
        for try await _ in items { count += 1 }
        XCTAssertGreaterThanOrEqual(count, 50)
        let firstThree = try await items.collect(limit: 3)
        XCTAssertEqual(firstThree.count, 3)
    }

    func testCdrCheckpoint() async throws {
        let today = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withFullDate])
        let from = ISO8601DateFormatter.string(from: Date().addingTimeInterval(-30 * 86400), timeZone: .current, formatOptions: [.withFullDate])
        let pager = try sim.client().cdr().list(query: CdrQuery(dateFrom: from, dateTo: today, pageSize: 50, maxItems: 120))
        let records = try await pager.items.collect()
        XCTAssertEqual(records.count, 120)
        let checkpoint = await pager.checkpoint()
        XCTAssertEqual(checkpoint, records.map(\.id).max())
        let calls = try await sim.client().cdr().listCallsItems(query: CdrQuery(dateFrom: from, dateTo: today, maxItems: 30)).collect()
        XCTAssertEqual(calls.count, 30)
        XCTAssertTrue(calls.allSatisfy { call in !call.records.isEmpty && call.records.allSatisfy { $0.linkedid == call.linkedid } })
    }

    func testEmployeesCrud() async throws {
        let api = try sim.client().employees()
        let created = try await api.create(employee: NewEmployee(number: "2961", userUsername: "Swift Test", sipSecret: "Xk9mPq2vLr7t"))
        XCTAssertEqual(created.number, "2961")
        let patched = try await api.patch(id: created.id, patch: EmployeePatch(userUsername: "Swift Patched"))
        XCTAssertEqual(patched.userUsername, "Swift Patched")
        try await api.delete(id: created.id)
        let error = await expectError { _ = try await api.get(id: created.id) }
        XCTAssertEqual(error?.kind(), .notFound)
        XCTAssertEqual(error?.operation(), "employees.get")
        XCTAssertNotNil(error?.status())
    }

    func testActiveCalls() async throws {
        _ = try await sim.client().pbxStatus().activeCalls()
    }

    func testApiKeysAndTheKeyNeverPrints() async throws {
        let admin = try sim.client()
        let key = try await admin.apiKeys().generateKey()
        let secret = key.exposeSecret()
        XCTAssertEqual(secret.count, 64)
        XCTAssertFalse(key.description.contains(secret))
        XCTAssertFalse(String(reflecting: key).contains(secret))
        let info = try await admin.apiKeys().create(key: NewApiKey(description: "swift key", key: key, fullPermissions: false, allowedPaths: ["extensions": .read], network: .any))
        XCTAssertEqual(info.keyDisplay, key.keyDisplay())
        let all = try await admin.apiKeys().listItems().collect()
        XCTAssertTrue(all.contains { $0.id == info.id })
        let builder = sim.builder(key: secret)
        XCTAssertFalse(String(reflecting: builder).contains(secret))
        let client = try builder.build()
        XCTAssertFalse(String(reflecting: client).contains(secret))
        try await admin.apiKeys().delete(id: info.id)
        let error = await expectError { try await client.system().checkAuth() }
        XCTAssertEqual(error?.kind(), .unauthorized)
        XCTAssertFalse(error?.localizedDescription.contains(secret) ?? true)
        // A key made from a string prints redacted too.
        let own = ApiKey(key: secret)
        XCTAssertEqual(own.exposeSecret(), secret)
        XCTAssertEqual(own.keyDisplay(), key.keyDisplay())
        XCTAssertFalse(own.description.contains(secret))
    }

    func testApiKeysUpdateReplacesPermissions() async throws {
        let admin = try sim.client()
        let key = try await admin.apiKeys().generateKey()
        let created = try await admin.apiKeys().create(key: NewApiKey(description: "swift update", key: key, fullPermissions: false, allowedPaths: ["extensions": .read], network: .any))
        let client = try sim.client(key: key.exposeSecret())
        _ = try await client.extensions().get(number: "201")
        // The server refuses (401); without the key's permissions the client cannot say more.
        let before = await expectError { _ = try await client.employees().listItems(query: EmployeeQuery(pageSize: 1)).collect(limit: 1) }
        XCTAssertEqual(before?.status(), 401)
        XCTAssertEqual(before?.operation(), "employees.list")
        let updated = try await admin.apiKeys().update(id: created.id, key: NewApiKey(description: "swift updated", key: key, fullPermissions: false, allowedPaths: ["employees": .read], network: .any))
        XCTAssertEqual(updated.id, created.id)
        XCTAssertEqual(updated.description, "swift updated")
        XCTAssertEqual(updated.allowedPaths, ["/api/v3/employees": "read"])
        let fetched = try await admin.apiKeys().get(id: created.id)
        XCTAssertEqual(fetched.allowedPaths, ["/api/v3/employees": "read"])
        // The same key now reads employees and no longer extensions.
        let some = try await client.employees().listItems(query: EmployeeQuery(pageSize: 1)).collect(limit: 1)
        XCTAssertEqual(some.count, 1)
        let after = await expectError { _ = try await client.extensions().get(number: "201") }
        XCTAssertEqual(after?.status(), 401)
        let known = try sim.builder(key: key.exposeSecret()).permissions(allowedPaths: ["employees": .read], network: nil).build()
        let local = await expectError { _ = try await known.extensions().get(number: "201") }
        guard case let .PermissionDenied(_, _, resource, _, _, _, origin)? = local else {
            return XCTFail("not a permission error: \(String(describing: local))")
        }
        XCTAssertEqual(resource, .extensions)
        XCTAssertEqual(origin, .local)
        try await admin.apiKeys().delete(id: created.id)
    }

    func testRequestReachesWhatTheTypedApiDoesNotCover() async throws {
        let admin = try sim.client()
        let page = try await admin.request(method: .get, path: "/pbxcore/api/v3/extensions?limit=2", bodyJson: nil)
        XCTAssertEqual(page.status, 200)
        let rows = try JSONSerialization.jsonObject(with: Data(page.dataJson.utf8)) as? [Any]
        XCTAssertEqual(rows?.count, 2, page.dataJson)
        // Dangerous actions stay behind the opt-in, even those the typed API does not have.
        let danger = await expectError {
            _ = try await admin.request(method: .post, path: "/pbxcore/api/v3/system:executeBashCommand", bodyJson: "{}")
        }
        XCTAssertEqual(danger?.kind(), .config)
        XCTAssertTrue(danger?.description.contains("dangerous action") ?? false, String(describing: danger))
        // A module's path the key does not hold: refused before sending, naming the grant.
        let key = try await newKey(["extensions": .read])
        let limited = try sim.builder(key: key).permissions(allowedPaths: ["extensions": .read], network: nil).build()
        let error = await expectError {
            _ = try await limited.request(method: .get, path: "/pbxcore/api/v3/module-example/tasks", bodyJson: nil)
        }
        guard case let .PermissionDenied(_, _, resource, allowedPath, _, _, origin)? = error else {
            return XCTFail("not a permission error: \(String(describing: error))")
        }
        XCTAssertNil(resource)
        XCTAssertEqual(allowedPath, "/api/v3/module-example/tasks")
        XCTAssertEqual(origin, .local)
        XCTAssertFalse(error?.description.contains(key) ?? true)
    }

    func testMinimalPermissions() throws {
        let needed = try minimalPermissions(operations: ["extensions.list", "cdr.list", "extensions.available"])
        XCTAssertEqual(needed, ["/api/v3/extensions": "write", "/api/v3/cdr": "read"])
        XCTAssertEqual(try minimalPermissions(operations: ["cdr.list_calls"]), ["/api/v3/cdr": "read"])
        XCTAssertThrowsError(try minimalPermissions(operations: ["no.such.op"])) { error in
            let e = error as? MikoPbxError
            XCTAssertEqual(e?.kind(), .config)
            XCTAssertNil(e?.operation())
            XCTAssertNil(e?.status())
            XCTAssertTrue(e?.description.contains("no.such.op") ?? false)
        }
    }

    func testUntrustedCertificateIsTlsUnknownIssuer() async throws {
        let client = try ClientBuilder(baseUrl: sim.url).apiKey(key: sim.adminKey).build()
        let error = await expectError { try await client.system().ping() }
        guard case let .Tls(_, tlsKind, _)? = error, let error else { return XCTFail("not a TLS error: \(String(describing: error))") }
        XCTAssertEqual(tlsKind, .unknownIssuer)
        // The human message (the core's Display), not a field dump.
        XCTAssertTrue(error.description.contains("TLS failure"), error.description)
        XCTAssertEqual(error.localizedDescription, error.description)
        XCTAssertEqual("\(error)", error.description)
        XCTAssertEqual(error.kindName(), "tls")
        XCTAssertEqual(error.operation(), "system.ping")
        XCTAssertNil(error.status())
    }

    func testMissingPermissionIsRefusedLocally() async throws {
        let key = try await newKey(["employees": .read])
        let client = try sim.builder(key: key).permissions(allowedPaths: ["employees": .read], network: nil).build()
        let error = await expectError {
            _ = try await client.employees().create(employee: NewEmployee(number: "2962", userUsername: "No", sipSecret: "Xk9mPq2vLr7t"))
        }
        guard case let .PermissionDenied(operation, status, resource, _, required, granted, origin)? = error, let error else {
            return XCTFail("not a permission error: \(String(describing: error))")
        }
        XCTAssertEqual(resource, .employees)
        XCTAssertEqual(required, .write)
        XCTAssertEqual(granted, .read)
        XCTAssertEqual(origin, .local)
        XCTAssertEqual(operation, "employees.create")
        XCTAssertEqual(error.operation(), "employees.create")
        XCTAssertNil(status)
        XCTAssertTrue(error.description.contains("Grant Write"), error.description)
    }

    func testMissingPermissionDiagnosedFromServer401() async throws {
        let key = try await newKey(["employees": .read])
        let error = await expectError {
            _ = try await self.sim.client(key: key).employees().create(employee: NewEmployee(number: "2963", userUsername: "No", sipSecret: "Xk9mPq2vLr7t"))
        }
        guard case let .PermissionDenied(_, status, resource, _, required, _, origin)? = error else {
            return XCTFail("not a permission error: \(String(describing: error))")
        }
        XCTAssertEqual(status, 401)
        XCTAssertEqual(error?.status(), 401)
        XCTAssertEqual(error?.kindName(), "permission_denied")
        XCTAssertEqual(resource, .employees)
        XCTAssertEqual(required, .write)
        XCTAssertEqual(origin, .server)
    }

    func testLocalhostKeyFrom127002IsNetworkRestricted() async throws {
        let paths: [String: Access] = ["extensions": .read]
        let key = try await newKey(paths, network: .localhost)
        let local = try await sim.client(key: key).extensions().get(number: "201")
        XCTAssertEqual(local.number, "201")
        let remote = try sim.builder(key: key).localAddress(address: "127.0.0.2").permissions(allowedPaths: paths, network: .localhost).build()
        let error = await expectError { _ = try await remote.extensions().get(number: "201") }
        XCTAssertEqual(error?.kind(), .networkRestricted, String(describing: error))
        XCTAssertEqual(error?.status(), 401)
    }

    func testBogusKeyIsUnauthorized() async throws {
        let bogus = String(repeating: "0123456789abcdef", count: 4)
        let error = await expectError { try await self.sim.client(key: bogus).system().checkAuth() }
        XCTAssertEqual(error?.kind(), .unauthorized)
        XCTAssertFalse(error?.description.contains(bogus) ?? true)
    }

    func testInsecureTransportAndConfigErrors() {
        XCTAssertThrowsError(try ClientBuilder(baseUrl: "http://pbx.example.invalid").apiKey(key: sim.adminKey).build()) { error in
            XCTAssertEqual((error as? MikoPbxError)?.kind(), .insecureTransport)
        }
        XCTAssertThrowsError(try sim.builder().localAddress(address: "not-an-ip").build()) { error in
            XCTAssertEqual((error as? MikoPbxError)?.kind(), .config)
        }
    }

    func testNotFoundValidationAndFirewall() async throws {
        let admin = try sim.client()
        let notFound = await expectError { _ = try await admin.employees().patch(id: "999999", patch: EmployeePatch(userUsername: "Nobody")) }
        XCTAssertEqual(notFound?.kind(), .notFound)
        XCTAssertEqual(notFound?.status(), 404)
        let invalid = await expectError {
            _ = try await admin.employees().create(employee: NewEmployee(number: "1", userUsername: "Too Short", sipSecret: "Xk9mPq2vLr7t"))
        }
        XCTAssertEqual(invalid?.kind(), .validation)
        // The release WAF checks the raw User-Agent (query values arrive percent-encoded).
        let remote = try sim.builder().localAddress(address: "127.0.0.2").userAgentSuffix(suffix: "crm' or 1=1").build()
        let waf = await expectError { _ = try await remote.extensions().get(number: "201") }
        XCTAssertEqual(waf?.kind(), .blockedByFirewall)
        XCTAssertEqual(waf?.status(), 403)
    }

    func testRateLimitFromARemoteAddress() async throws {
        let own = try Simulator()
        defer { own.stop() }
        let remote = try own.builder().localAddress(address: "127.0.0.2").maxRetries(retries: 0).noRateLimit().build()
        let error = await expectError { for _ in 0..<1000 { try await remote.system().ping() } }
        XCTAssertEqual(error?.kind(), .rateLimited, String(describing: error))
        XCTAssertEqual(error?.status(), 429)
    }

    /// `calls().watch()` as an AsyncSequence, on the simulator's background traffic (every
    /// 10-second slot has 0–5 calls between extensions 201–250 and outside numbers).
    func testCallWatcherEventsAreAnAsyncSequence() async throws {
        let watcher = try sim.client().calls().watch(options: WatchOptions(pollIntervalMs: 200))
        let seen = try await withThrowingTaskGroup(of: [CallEvent].self) { group in
            group.addTask {
                var events: [CallEvent] = []
                for try await event in watcher.events {
                    events.append(event)
                    if events.count == 2 { break }
                }
                return events
            }
            group.addTask {
                // A guard against hangs only.
                try await Task.sleep(nanoseconds: 120_000_000_000)
                throw NSError(domain: "CallsTest", code: 1, userInfo: [NSLocalizedDescriptionKey: "no call events in 120 s"])
            }
            let first = try await group.next() ?? []
            group.cancelAll()
            return first
        }
        XCTAssertEqual(seen.count, 2)
        XCTAssertFalse(seen[0].linkedid.isEmpty)
        XCTAssertLessThan(seen[0].sequence, seen[1].sequence)
        let checkpoint = await watcher.checkpoint()
        XCTAssertFalse(checkpoint.isEmpty)
    }

    /// Click-to-call placed through the simulator's AJAM listener with a manager the SDK creates
    /// (least rights, filter 4): the call is watched ringing, answered and ended once, with the
    /// returned linkedid on its CDR row; an injection attempt is refused before anything is sent.
    func testClickToCallIsWatchedToItsCdr() async throws {
        let admin = try sim.client()
        let manager = try await admin.asteriskManagers().createClickToCallManager(username: "swift-c2c", networkFilterId: "4")
        XCTAssertFalse(String(describing: manager).contains(manager.secret.exposeSecret()))
        let client = try sim.builder()
            .asteriskManager(username: manager.username, secret: manager.secret.exposeSecret())
            .ajamPort(port: sim.ajamPort)
            .build()
        let watcher = try client.calls().watch(options: WatchOptions(extensions: ["248"], pollIntervalMs: 100, cdrRetryMs: 100))
        let linkedid = try await client.calls().originate(fromExtension: "248", toNumber: "+79161234567")
        XCTAssertTrue(linkedid.hasPrefix("sdk-"), linkedid)
        XCTAssertTrue(sim.stateText().contains("\"channel\":\"Local/248@internal-originate\""))
        let events = try await withThrowingTaskGroup(of: [CallEvent].self) { group in
            group.addTask {
                var events: [CallEvent] = []
                for try await event in watcher.events where event.linkedid == linkedid {
                    events.append(event)
                    if event.eventType == .ended { break }
                }
                return events
            }
            group.addTask {
                // A guard against hangs only: the call lasts about 6.5 s of the simulator's clock.
                try await Task.sleep(nanoseconds: 120_000_000_000)
                throw NSError(domain: "CallsTest", code: 1, userInfo: [NSLocalizedDescriptionKey: "no end of the call in 120 s"])
            }
            let first = try await group.next() ?? []
            group.cancelAll()
            return first
        }
        XCTAssertEqual(events.map(\.eventType), [.ringing, .answered, .ended])
        XCTAssertEqual(events.last?.cdr?.linkedid, linkedid)
        XCTAssertEqual(events.last?.disposition, "ANSWERED")

        let error = await expectError { _ = try await client.calls().originate(fromExtension: "248", toNumber: "7916,__x=1") }
        XCTAssertEqual(error?.kind(), .validation)
        XCTAssertEqual(error?.operation(), "calls.originate")
    }

    /// `cdr().recording(record)` on a recorded call of the seeded history: the same bytes to
    /// memory, to a file and through the AsyncSequence, with the PBX's type and size.
    func testARecordingDownloadsToBytesAFileAndAnAsyncSequence() async throws {
        let client = try sim.client()
        let pager = client.cdr().list(query: CdrQuery(pageSize: 100))
        var found: CdrRecord?
        while found == nil, let page = try await pager.nextPage() {
            found = page.first { $0.hasRecording }
        }
        let record = try XCTUnwrap(found, "the seeded history has recorded calls")
        let recording = client.cdr().recording(record: record, options: nil)
        let bytes = try await recording.bytes()
        XCTAssertEqual(Array(bytes.prefix(2)), [0xFF, 0xFB], "an MPEG audio frame")
        let path = NSTemporaryDirectory() + "/recording-\(record.id).mp3"
        let info = try await recording.save(path: path)
        XCTAssertEqual(info.contentType, "audio/mpeg")
        XCTAssertEqual(info.size, UInt64(bytes.count))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes)
        try? FileManager.default.removeItem(atPath: path)
        var streamed = Data()
        for try await chunk in recording.chunks { streamed.append(chunk) }
        XCTAssertEqual(streamed, bytes)
        XCTAssertFalse(String(describing: recording).contains("token"))
    }
}

/// Every operation of the core's table has its Swift method, named as the operation
/// (`extensions.get_for_select` → `client.extensions().getForSelect`). `operationMethods` is
/// generated from crates/mikopbx/manifest.json and compiles only if every method exists.
final class ParityTests: XCTestCase {
    func testEveryOperationHasItsMethod() throws {
        // Building a client sends nothing.
        let client = try ClientBuilder(baseUrl: "https://127.0.0.1:9").build()
        let methods = operationMethods(client)
        let names = Set(operationNames())
        XCTAssertGreaterThanOrEqual(names.count, 20)
        XCTAssertEqual(names.subtracting(methods.keys).sorted(), [], "operations without a Swift method (stale manifest?)")
        XCTAssertEqual(Set(methods.keys).subtracting(names).sorted(), [], "manifest operations the library lacks")
    }
}
