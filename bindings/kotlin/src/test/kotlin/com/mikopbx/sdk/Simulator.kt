package com.mikopbx.sdk

import com.mikopbx.sdk.model.Client
import java.io.ByteArrayInputStream
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.time.Duration
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/**
 * A running `mikopbx-sim` process (the binary cargo built), with its URL, CA, admin key and the
 * run-time fault switches. [shared] is started once per JVM; tests that change global simulator
 * state (bans) start their own with [start].
 */
class Simulator private constructor(
    private val process: Process,
    val stateDir: Path,
    val url: String,
) : AutoCloseable {
    val caPem: String = Files.readString(stateDir.resolve("ca.pem"))
    val adminKey: String = Files.readString(stateDir.resolve("admin-key.txt")).trim()
    private val controlToken: String = Files.readString(stateDir.resolve("control-token.txt")).trim()

    /** A client for this simulator with the admin key (or [key]), trusting its CA. */
    fun builder(key: String = adminKey): ClientBuilder =
        ClientBuilder(url).apiKey(key).trustCertificatePem(caPem)

    fun client(key: String = adminKey): Client = builder(key).build()

    /** `POST /_sim/faults` with a JSON body, e.g. `{"latency_ms": 2000}`. */
    fun faults(json: String) { control("/_sim/faults", json) }

    /** `POST /_sim/reset`: clears rate-limit counters and bans. */
    fun reset() { control("/_sim/reset", "{}") }

    /** `POST /_sim/calls`: places a call (`{"from": …, "to": …, "answer_after_ms": …}`); its linkedid. */
    fun placeCall(json: String): String =
        Regex("\"linkedid\"\\s*:\\s*\"([^\"]+)\"").find(control("/_sim/calls", json))!!.groupValues[1]

    /** The port of the simulator's Asterisk HTTPS listener (AJAM, for click-to-call). */
    val ajamPort: UShort
        get() = Files.readString(stateDir.resolve("ajam-url.txt")).trim().substringAfterLast(':').toUShort()

    /** `state.json`'s `ajam_log`: the originates AJAM accepted (as JSON text, for assertions). */
    fun ajamLog(): String = Files.readString(stateDir.resolve("state.json")).substringAfter("\"ajam_log\"")

    /**
     * `POST asterisk-managers` with the admin key, in the server's wire format ([rights] like
     * `originate_write`), independent of the SDK.
     */
    fun createManager(username: String, secret: String, rights: Set<String>, networkFilterId: String) {
        val classes = listOf(
            "call", "cdr", "originate", "reporting", "agent", "config", "dialplan", "dtmf", "log",
            "system", "user", "verbose", "command",
        )
        val permissions = classes.flatMap { c -> listOf("read", "write").map { "${c}_$it" } }
            .joinToString(",") { "\"$it\": ${it in rights}" }
        val json = """{"username": "$username", "secret": "$secret", "permissions": {$permissions},
            "networkfilterid": "$networkFilterId", "description": "kotlin test"}"""
        val request = HttpRequest.newBuilder(URI.create("$url/pbxcore/api/v3/asterisk-managers"))
            .header("Authorization", "Bearer $adminKey")
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299 && response.body().contains("\"result\":true")) {
            "create manager -> ${response.statusCode()} ${response.body()}"
        }
    }

    /** `POST /_sim/clock`: moves the simulator's clock (calls, recordings) forward. */
    fun advance(ms: Long) { control("/_sim/clock", """{"advance_ms": $ms}""") }

    /** A bare GET, independent of the SDK (with `Authorization: Bearer` when [bearer] is set): the body and its type. */
    fun get(pathAndQuery: String, bearer: String? = null): Pair<ByteArray, String> {
        val builder = HttpRequest.newBuilder(URI.create(url + pathAndQuery)).timeout(Duration.ofSeconds(10))
        if (bearer != null) builder.header("Authorization", "Bearer $bearer")
        val response = http.send(builder.GET().build(), HttpResponse.BodyHandlers.ofByteArray())
        check(response.statusCode() == 200) { "$pathAndQuery -> ${response.statusCode()}" }
        return response.body() to response.headers().firstValue("Content-Type").orElse("")
    }

    private fun control(path: String, json: String): String {
        val request = HttpRequest.newBuilder(URI.create(url + path))
            .header("X-Sim-Control", controlToken)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "$path -> ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    private val http: HttpClient by lazy {
        val cert = CertificateFactory.getInstance("X.509")
            .generateCertificate(ByteArrayInputStream(caPem.toByteArray()))
        val store = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
            load(null, null)
            setCertificateEntry("mikopbx-sim", cert)
        }
        val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(store) }
        val ssl = SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
        HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build()
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
        stateDir.toFile().deleteRecursively()
    }

    companion object {
        private val binary: String =
            System.getProperty("mikopbx.sim") ?: System.getenv("MIKOPBX_SIM") ?: "../../target/debug/mikopbx-sim"

        /** Starts a simulator on a free loopback port; waits for its "listening on" line. */
        fun start(vararg extraArgs: String): Simulator {
            require(Files.isExecutable(Path.of(binary))) { "simulator binary not found: $binary (cargo build -p mikopbx-sim)" }
            val dir = Files.createTempDirectory("mikopbx-sim-")
            val cmd = listOf(binary, "--addr", "127.0.0.1:0", "--state-dir", dir.toString()) + extraArgs
            // Not INHERIT: a simulator outliving a crashed JVM would keep surefire waiting on the pipe.
            val process = ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start()
            val reader = process.inputStream.bufferedReader()
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
            var url: String? = null
            while (url == null && System.nanoTime() < deadline) {
                val line = reader.readLine() ?: break
                url = Regex("https?://[^\\s]+").find(line)?.value
            }
            if (url == null) {
                process.destroyForcibly()
                error("simulator did not print its URL")
            }
            // Keep draining stdout so the process never blocks on a full pipe.
            Thread { reader.lineSequence().forEach { _ -> } }.apply { isDaemon = true }.start()
            return Simulator(process, dir, url)
        }

        /**
         * The simulator shared by every test class of this JVM. Like every scenario runner it
         * stores localhost network filters as asked (a real PBX's REST API drops them, which the
         * SDK refuses; see tests/README.md); everything else is the default, release-faithful sim.
         */
        val shared: Simulator by lazy {
            start("--no-network-filter-quirk")
                .also { sim -> Runtime.getRuntime().addShutdownHook(Thread { sim.close() }) }
        }
    }
}
