package com.mikopbx.sdk

import com.mikopbx.sdk.model.CallEventType
import com.mikopbx.sdk.model.WatchOptions
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.flow.transformWhile
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** `client.calls().watch()` through Kotlin: a call placed on the simulator, seen as a Flow. */
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
}
