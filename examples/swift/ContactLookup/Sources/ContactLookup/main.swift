// CRM contact lookup: who is this phone number, and what were their last calls?
//
// Reads MIKOPBX_URL, MIKOPBX_API_KEY and either MIKOPBX_CA_CERT (a PEM file to trust) or
// MIKOPBX_CERT_SHA256 (the PBX certificate's pin, as `mikopbx doctor` prints it).
import Foundation
import MikoPBX

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code)
}

guard CommandLine.arguments.count > 1 else { fail("usage: ContactLookup <phone number>", code: 2) }
let number = CommandLine.arguments[1]

func day(_ offset: Int) -> String {
    ISO8601DateFormatter.string(from: Date().addingTimeInterval(Double(offset) * 86400), timeZone: .current, formatOptions: [.withFullDate])
}

do {
    // The same settings through the builder:
    //   ClientBuilder(baseUrl: url).apiKey(key: key).pinCertificateSha256(fingerprint: pin).build()
    let client = try ClientBuilder.fromEnv().build()
    let extensions = try await client.extensions().listItems(query: ExtensionQuery(search: number, pageSize: 20)).collect(limit: 5)
    let employees = try await client.employees().listItems(query: EmployeeQuery(search: number)).collect(limit: 5)
    let calls = try await client.cdr().listItems(query: CdrQuery(dateFrom: day(-30), dateTo: day(0), search: number, maxItems: 5)).collect()

    print("Contact lookup for \(number)")
    if extensions.isEmpty && employees.isEmpty { print("  no extension or employee matches") }
    for e in extensions { print("  extension \(e.number) (\(e.type)) \(e.callerid)") }
    for e in employees { print("  employee  \(e.number) \(e.userUsername) \(e.userEmail ?? "")") }
    print("Recent calls (\(calls.count)):")
    for c in calls { print("  \(c.start)  \(c.srcNum) -> \(c.dstNum)  \(c.disposition)  \(c.billsec)s") }
    let needed = try minimalPermissions(operations: ["extensions.list", "employees.list", "cdr.list"])
    print("Least privilege for this integration: \(needed)")
} catch let error as MikoPbxError {
    // Every error says what to do; `kindName()` is the same in every language.
    fail("lookup failed (\(error.kindName())): \(error.localizedDescription)", code: 1)
}
