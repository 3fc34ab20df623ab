import Foundation
import MikoPBX
import XCTest

/// The web session through Swift: `login` and `logout` as `async throws`, from 127.0.0.2, where
/// the PBX lets nothing through without a token. Renewal, concurrency and secrecy in depth are
/// the Rust suite's (crates/mikopbx/tests/session.rs).
final class SessionTests: XCTestCase {
    let sim = Simulator.shared

    /// A client without an API key, seen by the PBX as remote.
    private func remote() throws -> Client {
        try ClientBuilder(baseUrl: sim.url).trustCertificatePem(pem: sim.caPem).localAddress(address: "127.0.0.2").build()
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

    func testLoginATypedCallAndLogout() async throws {
        let client = try remote()
        let anonymous = await expectError { try await client.system().checkAuth() }
        XCTAssertEqual(anonymous?.kind(), .unauthorized)
        XCTAssertNil(client.session())
        let session = try await client.login(username: "admin", password: "admin")
        XCTAssertEqual(session.login, "admin")
        let remaining = session.expiresAt.timeIntervalSinceNow
        XCTAssertTrue(remaining > 890 && remaining <= 901, "\(remaining)")
        XCTAssertEqual(client.session(), session)
        try await client.system().checkAuth()
        let ext = try await client.extensions().get(number: "201")
        XCTAssertEqual(ext.number, "201")
        XCTAssertFalse(String(reflecting: client).contains("eyJ"))

        try await client.logout()
        XCTAssertNil(client.session())
        let error = await expectError { _ = try await client.extensions().get(number: "201") }
        guard case let .Unauthorized(_, status, diagnosis, _)? = error else {
            return XCTFail("expected Unauthorized, got \(String(describing: error))")
        }
        XCTAssertNil(status)
        XCTAssertEqual(diagnosis.cause, .loggedOut)
    }

    func testWrongPasswordAndAKeyClient() async throws {
        let error = await expectError { _ = try await self.remote().login(username: "admin", password: "not-the-password") }
        guard case let .Unauthorized(operation, status, diagnosis, messages)? = error else {
            return XCTFail("expected Unauthorized, got \(String(describing: error))")
        }
        XCTAssertEqual(operation, "auth.login")
        XCTAssertEqual(status, 401)
        XCTAssertEqual(diagnosis.cause, .wrongCredentials)
        XCTAssertEqual(messages.count, 1)
        XCTAssertTrue(messages.first?.hasSuffix("attempts left") ?? false, "\(messages)")
        XCTAssertFalse(error?.localizedDescription.contains("not-the-password") ?? true)
        let keyed = await expectError { _ = try await self.sim.client().login(username: "admin", password: "admin") }
        XCTAssertEqual(keyed?.kind(), .config)
        XCTAssertTrue(keyed?.localizedDescription.contains("one credential") ?? false, String(describing: keyed))
    }
}
