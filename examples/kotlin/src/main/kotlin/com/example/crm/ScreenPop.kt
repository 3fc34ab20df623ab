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
package com.example.crm

import com.mikopbx.sdk.ClientBuilder
import com.mikopbx.sdk.events
import com.mikopbx.sdk.listFlow
import com.mikopbx.sdk.model.CallEventType
import com.mikopbx.sdk.model.EmployeeQuery
import com.mikopbx.sdk.model.MikoPbxException
import com.mikopbx.sdk.model.WatchOptions
import java.io.File
import kotlin.system.exitProcess
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking

private val audioExtensions = mapOf("audio/webm" to "webm", "audio/mpeg" to "mp3", "audio/wav" to "wav", "audio/ogg" to "ogg")

private fun json(s: String?): String =
    if (s == null) "null" else "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

fun main(args: Array<String>) = runBlocking {
    fun env(name: String): String? = System.getenv(name)?.takeIf { it.isNotBlank() }
    val extensions = mutableListOf<String>()
    var notes = File("notes")
    var calls = 0
    var call: Pair<String, String>? = null
    var i = 0
    while (i < args.size) {
        when (args[i]) {
            "--extension" -> extensions += args[++i]
            "--notes" -> notes = File(args[++i])
            "--calls" -> calls = args[++i].toInt()
            "--call" -> { call = args[i + 1] to args[i + 2]; i += 2 }
            else -> { System.err.println("unknown argument ${args[i]}"); exitProcess(2) }
        }
        i++
    }
    var builder = ClientBuilder(env("MIKOPBX_URL") ?: error("set MIKOPBX_URL"))
        .apiKey(env("MIKOPBX_API_KEY") ?: error("set MIKOPBX_API_KEY"))
        .userAgentSuffix("crm-screen-pop/0.1")
    env("MIKOPBX_CA_CERT")?.let { builder = builder.trustCertificatePem(File(it).readText()) }
    env("MIKOPBX_CERT_SHA256")?.let { builder = builder.pinCertificateSha256(it) }
    val amiUser = env("MIKOPBX_AMI_USERNAME")
    val amiSecret = env("MIKOPBX_AMI_SECRET")
    if (amiUser != null && amiSecret != null) {
        builder = builder.asteriskManager(amiUser, amiSecret)
        env("MIKOPBX_AJAM_PORT")?.let { builder = builder.ajamPort(it.toUShort()) }
    }
    notes.mkdirs()
    try {
        builder.build().use { client ->
            val names = client.employees().listFlow(EmployeeQuery()).toList()
                .filter { it.number.isNotEmpty() }.associate { it.number to it.userUsername }
            call?.let { extensions += it.first }
            val watcher = client.calls().watch(WatchOptions(extensions = extensions, pollIntervalMs = 1000uL))
            val placed = call?.let { (from, to) ->
                client.calls().originate(from, to).also { println("calling $to from $from: $it") }
            }
            var finished = 0
            watcher.events().collect { event ->
                if (placed != null && event.linkedid != placed) return@collect
                when (event.eventType) {
                    CallEventType.RINGING ->
                        println("ringing ${event.extension}: ${event.caller} (${names[event.caller] ?: "unknown caller"})")
                    CallEventType.ENDED -> {
                        var recording = "null"
                        val cdr = event.cdr
                        // An answered call's recording may still be converting: the handle waits
                        // (bounded) until the PBX publishes it; NotFound means there is none.
                        if (cdr != null && event.disposition == "ANSWERED") {
                            val part = File(notes, "${event.linkedid}.download")
                            try {
                                val info = client.cdr().recording(cdr, null).save(part.path)
                                val file = File(notes, "${event.linkedid}.${audioExtensions[info.contentType] ?: "bin"}")
                                part.renameTo(file)
                                recording = """{"file": ${json(file.name)}, "content_type": ${json(info.contentType)}, "bytes": ${info.size}}"""
                            } catch (e: MikoPbxException.NotFound) {
                                System.err.println("no recording for ${event.linkedid}: ${e.message}")
                            }
                        }
                        val note = File(notes, "${event.linkedid}.json")
                        note.writeText(
                            """{"linkedid": ${json(event.linkedid)}, "caller": ${json(event.caller)}, """ +
                                """"called": ${json(event.called)}, "disposition": ${json(event.disposition)}, """ +
                                """"talk_seconds": ${event.billsec ?: "null"}, "recording": $recording}""",
                        )
                        println("ended ${event.linkedid}: note ${note.path}")
                        finished++
                        if (calls > 0 && finished >= calls) exitProcess(0)
                    }
                    else -> {}
                }
            }
        }
    } catch (e: MikoPbxException) {
        System.err.println("screen-pop failed (${e.kindName()}): ${e.message}")
        exitProcess(1)
    }
}
