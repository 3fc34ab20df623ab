package com.mikopbx.sdk

import com.mikopbx.sdk.model.CallEventType
import com.mikopbx.sdk.model.CdrQuery
import com.mikopbx.sdk.model.MikoPbxException
import com.mikopbx.sdk.model.RecordingFormat
import com.mikopbx.sdk.model.RecordingOptions
import com.mikopbx.sdk.model.WatchOptions
import kotlinx.coroutines.flow.fold
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.flow.transformWhile
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files

/**
 * `client.calls().watch()` through Kotlin: a call placed on the simulator, seen as a Flow; and
 * `client.cdr().recording(record)`: its recording, with the exact bytes the PBX serves.
 */
class CallsTest {
    private val sim = Simulator.shared

    @Test
    fun `a placed call is seen ringing, answered and ended once, with its CDR`() = runBlocking {
        // Extension 262: the seeded background traffic (201-250) and the other suites never use it.
        val watcher = sim.client().calls().watch(
            WatchOptions(extensions = listOf("262"), pollIntervalMs = 100uL, cdrRetryMs = 100uL),
        )
        val linkedid = sim.placeCall(
            """{"from": "79161234567", "to": "262", "answer_after_ms": 3000, "talk_ms": 2000}""",
        )
        // A guard against hangs only: the call lasts about 5 s of the simulator's clock.
        val events = withTimeout(90_000) {
            watcher.events()
                .filter { it.linkedid == linkedid }
                .transformWhile { emit(it); it.eventType != CallEventType.ENDED }
                .toList()
        }
        assertEquals(
            listOf(CallEventType.RINGING, CallEventType.ANSWERED, CallEventType.ENDED),
            events.map { it.eventType },
        )
        assertEquals(events.map { it.sequence }.sorted(), events.map { it.sequence })
        assertEquals("79161234567", events[0].caller)
        val ended = events.last()
        assertEquals("ANSWERED", ended.disposition)
        assertEquals(linkedid, ended.cdr?.linkedid)
        assertTrue((ended.billsec ?: 0) >= 1, "billsec ${ended.billsec}")
        assertTrue(watcher.checkpoint().isNotEmpty())
    }

    @Test
    fun `a call's recording downloads the exact bytes, to memory, a file and a Flow`() = runBlocking {
        val client = sim.client()
        // Extension 268: the background traffic (201-250) and the other suites never use it.
        val linkedid = sim.placeCall("""{"from": "79161234567", "to": "268", "answer_after_ms": 300, "talk_ms": 1500}""")
        // Past the hangup, WorkerCdr's lag and the conversion of the recording.
        sim.advance(30_000)
        val record = client.cdr().list(CdrQuery(linkedid = linkedid)).nextPage()!!.single()
        assertTrue(record.hasRecording)

        val recording = client.cdr().recording(record)
        val bytes = recording.bytes()
        // The same recording without the SDK: list with the key, GET the token URL without it.
        val listing = String(sim.get("/pbxcore/api/v3/cdr?linkedid=$linkedid&grouped=false", sim.adminKey).first)
        val url = Regex("\"download_url\"\\s*:\\s*\"([^\"]+)\"").find(listing)!!.groupValues[1].replace("\\/", "/")
        val (expected, type) = sim.get(url)
        assertArrayEquals(expected, bytes)
        assertEquals("audio/mpeg", type)

        val file = Files.createTempFile("recording", ".mp3")
        val info = recording.save(file.toString())
        assertArrayEquals(expected, Files.readAllBytes(file))
        assertEquals("audio/mpeg", info.contentType)
        assertEquals(expected.size.toULong(), info.size)
        assertTrue(info.filename.startsWith("call_79161234567_to_268_"), info.filename)
        val streamed = recording.chunks().fold(ByteArray(0)) { acc, chunk -> acc + chunk }
        assertArrayEquals(expected, streamed)

        val wav = client.cdr().recording(record, RecordingOptions(format = RecordingFormat.WAV, waitMs = 0uL)).bytes()
        assertEquals("RIFF", String(wav.copyOfRange(0, 4)))
        assertFalse(recording.toString().contains("token"), recording.toString())
        Files.delete(file)
    }

    @Test
    fun `an unanswered call has no recording, a typed error`() = runBlocking {
        val client = sim.client()
        val linkedid = sim.placeCall("""{"from": "79161234567", "to": "269", "ring_ms": 1000}""")
        sim.advance(30_000)
        val record = client.cdr().list(CdrQuery(linkedid = linkedid)).nextPage()!!.single()
        val e = assertThrows(MikoPbxException.NotFound::class.java) {
            runBlocking { client.cdr().recording(record).bytes() }
        }
        assertTrue(e.toString().contains("not answered"), e.toString())
    }

    @Test
    fun `click-to-call rings the agent, and the call is watched to its CDR`() = runBlocking {
        sim.createManager("kt-dialer", "Kt-Ajam-Secret-91b2", setOf("originate_write", "call_read"), "4")
        val client = sim.builder()
            .asteriskManager("kt-dialer", "Kt-Ajam-Secret-91b2")
            .ajamPort(sim.ajamPort)
            .build()
        val watcher = client.calls().watch(
            WatchOptions(extensions = listOf("249"), pollIntervalMs = 100uL, cdrRetryMs = 100uL),
        )
        val linkedid = client.calls().originate("249", "+79161234567")
        assertTrue(linkedid.startsWith("sdk-"), linkedid)
        assertTrue(sim.ajamLog().contains("\"channel\":\"Local/249@internal-originate\""), sim.ajamLog())
        assertTrue(sim.ajamLog().contains("\"secrets_in_url\":0"), sim.ajamLog())
        val events = withTimeout(90_000) {
            watcher.events()
                .filter { it.linkedid == linkedid }
                .transformWhile { emit(it); it.eventType != CallEventType.ENDED }
                .toList()
        }
        assertEquals(
            listOf(CallEventType.RINGING, CallEventType.ANSWERED, CallEventType.ENDED),
            events.map { it.eventType },
        )
        assertEquals("ANSWERED", events.last().disposition)
        assertEquals(linkedid, events.last().cdr?.linkedid)

        val e = assertThrows(MikoPbxException.Validation::class.java) {
            runBlocking { client.calls().originate("249", "7916,__x=1") }
        }
        assertFalse(e.toString().contains("Kt-Ajam-Secret"), e.toString())
        assertFalse(client.toString().contains("Kt-Ajam-Secret"))
    }
}
