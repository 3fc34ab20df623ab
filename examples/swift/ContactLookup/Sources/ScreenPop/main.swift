// CRM screen-pop and call note, with click-to-call.
//
// While a call rings, find the caller among the employees (a CRM would search its contacts too)
// and show their card; when it ends, write a call note with the recording beside it. With
// `--call FROM TO` it first places a click-to-call (the agent's phone rings, then the PBX dials
// the number) and follows that call.
//
// Reads MIKOPBX_URL, MIKOPBX_API_KEY, MIKOPBX_CA_CERT or MIKOPBX_CERT_SHA256, and for
// click-to-call MIKOPBX_AMI_USERNAME, MIKOPBX_AMI_SECRET (and MIKOPBX_AJAM_PORT, default 8089).
// Arguments: [--extension EXT]... [--notes DIR] [--calls N] [--call FROM TO]
import Foundation
import MikoPBX

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code)
}

let audioExtensions = ["audio/webm": "webm", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/ogg": "ogg"]
var extensions: [String] = []
var notes = "notes"
var calls = 0
var call: (String, String)?
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let flag = args.removeFirst()
    func value() -> String {
        if args.isEmpty { fail("\(flag) needs a value", code: 2) }
        return args.removeFirst()
    }
    switch flag {
    case "--extension": extensions.append(value())
    case "--notes": notes = value()
    case "--calls": calls = Int(value()) ?? 0
    case "--call": let from = value(); call = (from, value())
    default: fail("unknown argument \(flag)", code: 2)
    }
}
let env = ProcessInfo.processInfo.environment

do {
    var builder = ClientBuilder.fromEnv().userAgentSuffix(suffix: "crm-screen-pop/0.1")
    if let user = env["MIKOPBX_AMI_USERNAME"], let secret = env["MIKOPBX_AMI_SECRET"] {
        builder = builder.asteriskManager(username: user, secret: secret)
        if let port = env["MIKOPBX_AJAM_PORT"].flatMap(UInt16.init) { builder = builder.ajamPort(port: port) }
    }
    let client = try builder.build()
    try FileManager.default.createDirectory(atPath: notes, withIntermediateDirectories: true)
    let employees = try await client.employees().listItems(query: EmployeeQuery()).collect()
    let names = Dictionary(employees.filter { !$0.number.isEmpty }.map { ($0.number, $0.userUsername) }, uniquingKeysWith: { a, _ in a })
    if let (from, _) = call { extensions.append(from) }
    let watcher = try client.calls().watch(options: WatchOptions(extensions: extensions, pollIntervalMs: 1000))
    var placed: String?
    if let (from, to) = call {
        placed = try await client.calls().originate(fromExtension: from, toNumber: to)
        print("calling \(to) from \(from): \(placed!)")
    }
    var finished = 0
    for try await event in watcher.events {
        if let placed, event.linkedid != placed { continue }
        switch event.eventType {
        case .ringing:
            print("ringing \(event.extension): \(event.caller) (\(names[event.caller] ?? "unknown caller"))")
        case .ended:
            var note: [String: Any] = [
                "linkedid": event.linkedid, "caller": event.caller, "called": event.called,
                "disposition": event.disposition ?? NSNull(), "talk_seconds": event.billsec ?? NSNull(),
            ]
            // An answered call's recording may still be converting: the handle waits (bounded)
            // until the PBX publishes it; NotFound means there is none.
            if let cdr = event.cdr, event.disposition == "ANSWERED" {
                let part = "\(notes)/\(event.linkedid).download"
                do {
                    let info = try await client.cdr().recording(record: cdr, options: nil).save(path: part)
                    let file = "\(event.linkedid).\(audioExtensions[info.contentType] ?? "bin")"
                    try FileManager.default.moveItem(atPath: part, toPath: "\(notes)/\(file)")
                    note["recording"] = ["file": file, "content_type": info.contentType, "bytes": info.size]
                } catch let error as MikoPbxError where error.kind() == .notFound {
                    FileHandle.standardError.write(Data("no recording for \(event.linkedid)\n".utf8))
                }
            }
            let path = "\(notes)/\(event.linkedid).json"
            try JSONSerialization.data(withJSONObject: note, options: [.sortedKeys, .withoutEscapingSlashes]).write(to: URL(fileURLWithPath: path))
            print("ended \(event.linkedid): note \(path)")
            finished += 1
            if calls > 0 && finished >= calls { exit(0) }
        default:
            break
        }
    }
} catch let error as MikoPbxError {
    fail("screen-pop failed (\(error.kindName())): \(error.localizedDescription)", code: 1)
}
