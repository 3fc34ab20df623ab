// swift-tools-version:5.9
// CRM contact lookup on the MikoPBX SDK for Swift (its own directory: SwiftPM names a package after
// its folder, and the SDK package already is `swift`). Build the SDK's native library and bindings
// first (bindings/ffi/generate.sh swift), then:
//   MIKOPBX_URL=https://pbx.example.com MIKOPBX_API_KEY=... [MIKOPBX_CA_CERT=ca.pem | MIKOPBX_CERT_SHA256=AB:CD:...] \
//   swift run ContactLookup +15550100
// and the screen-pop with click-to-call (MIKOPBX_AMI_USERNAME, MIKOPBX_AMI_SECRET, MIKOPBX_AJAM_PORT):
//   swift run ScreenPop --notes ./notes --calls 1 --call 201 +79161234567
import PackageDescription

let package = Package(
    name: "ContactLookup",
    dependencies: [
        .package(name: "MikoPBX", path: "../../../bindings/swift"),
    ],
    targets: [
        .executableTarget(
            name: "ContactLookup",
            dependencies: [.product(name: "MikoPBX", package: "MikoPBX")]
        ),
        .executableTarget(
            name: "ScreenPop",
            dependencies: [.product(name: "MikoPBX", package: "MikoPBX")]
        ),
    ]
)
