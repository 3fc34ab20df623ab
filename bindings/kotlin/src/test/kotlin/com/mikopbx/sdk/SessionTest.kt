package com.mikopbx.sdk

import com.mikopbx.sdk.model.Client
import com.mikopbx.sdk.model.MikoPbxException
import com.mikopbx.sdk.model.UnauthorizedCause
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.Instant

/**
 * The web session through Kotlin: `login` and `logout` as suspend functions, from 127.0.0.2,
 * where the PBX lets nothing through without a token. Renewal, concurrency and secrecy in depth
 * are the Rust suite's (crates/mikopbx/tests/session.rs).
 */
class SessionTest {
    private val sim = Simulator.shared

    /** A client without an API key, seen by the PBX as remote. */
    private fun remote(): Client =
        ClientBuilder(sim.url).trustCertificatePem(sim.caPem).localAddress("127.0.0.2").build()

    @Test
    fun `login, a typed call and logout`() = runBlocking {
        val client = remote()
        assertThrows<MikoPbxException.Unauthorized> { runBlocking { client.system().checkAuth() } }
        assertNull(client.session())
        val session = client.login("admin", "admin")
        assertEquals("admin", session.login)
        val remaining = Duration.between(Instant.now(), session.expiresAt)
        assertTrue(remaining > Duration.ofSeconds(890) && remaining <= Duration.ofSeconds(901), "$remaining")
        assertEquals(session, client.session())
        client.system().checkAuth()
        assertEquals("201", client.extensions().get("201").number)
        assertTrue(client.toString().contains("logged in as"), client.toString())
        assertFalse(client.toString().contains("eyJ"), client.toString())

        client.logout()
        assertNull(client.session())
        val e = assertThrows<MikoPbxException.Unauthorized> { runBlocking { client.extensions().get("201") } }
        assertEquals(UnauthorizedCause.LOGGED_OUT, e.diagnosis.cause)
        assertNull(e.status)
        assertEquals("unauthorized", e.kindName())
    }

    @Test
    fun `a wrong password is unauthorized with the attempts left, and a key client refuses login`() = runBlocking {
        val e = assertThrows<MikoPbxException.Unauthorized> {
            runBlocking { remote().login("admin", "not-the-password") }
        }
        assertEquals(UnauthorizedCause.WRONG_CREDENTIALS, e.diagnosis.cause)
        assertEquals(401.toUShort(), e.status)
        assertEquals("auth.login", e.operation())
        assertTrue(e.messages.single().endsWith("attempts left"), "${e.messages}")
        assertFalse(e.message.contains("not-the-password"))
        val keyed = assertThrows<MikoPbxException.Config> { runBlocking { sim.client().login("admin", "admin") } }
        assertTrue(keyed.message.contains("one credential"), keyed.message)
    }
}
