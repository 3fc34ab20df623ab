package com.mikopbx.sdk

import com.mikopbx.sdk.model.Access
import com.mikopbx.sdk.model.ApiKey
import com.mikopbx.sdk.model.CdrQuery
import com.mikopbx.sdk.model.DenialOrigin
import com.mikopbx.sdk.model.EmployeePatch
import com.mikopbx.sdk.model.EmployeeQuery
import com.mikopbx.sdk.model.ErrorKind
import com.mikopbx.sdk.model.ExtensionQuery
import com.mikopbx.sdk.model.HttpMethod
import com.mikopbx.sdk.model.MikoPbxException
import com.mikopbx.sdk.model.NetworkFilter
import com.mikopbx.sdk.model.NewApiKey
import com.mikopbx.sdk.model.NewEmployee
import com.mikopbx.sdk.model.Resource
import com.mikopbx.sdk.model.TlsKind
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.count
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.TimeoutCancellationException
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.LocalDate

class ClientTest {
    private val sim = Simulator.shared
    private val admin = sim.client()

    /** Registers a key through the SDK, as an integrator would, and returns it. */
    private fun newKey(paths: Map<String, Access>?, network: NetworkFilter = NetworkFilter.Any): String = runBlocking {
        val key = admin.apiKeys().generateKey()
        admin.apiKeys().create(NewApiKey("kotlin test", key, paths == null, paths ?: emptyMap(), network))
        key.exposeSecret()
    }

    // ---- success paths -------------------------------------------------------------------

    @Test
    fun `ping, checkAuth and sysinfo are suspend functions that succeed`() = runBlocking {
        admin.system().ping()
        admin.system().checkAuth()
        val info = admin.sysinfo().getInfo()
        assertTrue(info.version.isNotEmpty(), "version: $info")
    }

    @Test
    fun `extension by number`() = runBlocking {
        val ext = admin.extensions().get("201")
        assertEquals("201", ext.number)
        assertEquals("SIP", ext.type)
    }

    @Test
    fun `nextPage walks every page and then returns null`() = runBlocking {
        val pager = admin.extensions().list(ExtensionQuery(type = "SIP", pageSize = 10u))
        val pages = mutableListOf<Int>()
        while (true) {
            val page = pager.nextPage() ?: break
            pages += page.size
            assertTrue(page.all { it.type == "SIP" })
        }
        // The core filters by type on its side too, so a page may hold fewer than 10.
        assertTrue(pages.size >= 5 && pages.all { it <= 10 } && pages.sum() >= 50, "pages: $pages")
        assertTrue(pager.isDone())
        assertNull(pager.nextPage())
        pager.close()
    }

    @Test
    fun `Flow over employees is cold and lazy`() = runBlocking {
        val flow = admin.employees().listFlow(EmployeeQuery(pageSize = 7u))
        val all = flow.count()
        assertTrue(all >= 50, "employees: $all")
        // Collecting again starts over; take() stops after the first page's worth.
        assertEquals(3, flow.take(3).toList().size)
    }

    @Test
    fun `CDR list streams lazily and keeps a checkpoint`() = runBlocking {
        val today = LocalDate.now()
        val query = CdrQuery(dateFrom = today.minusDays(30).toString(), dateTo = today.toString(), pageSize = 50u, maxItems = 120u)
        val pager = admin.cdr().list(query)
        val records = pager.asFlow().toList()
        assertEquals(120, records.size)
        val checkpoint = pager.checkpoint()
        assertNotNull(checkpoint)
        assertEquals(records.maxOf { it.id }, checkpoint)
        // Resuming after the checkpoint yields only newer records.
        val more = admin.cdr().listFlow(query.copy(resumeAfter = checkpoint, maxItems = 20u)).toList()
        assertTrue(more.all { it.id > checkpoint!! })
        // Grouped by call: every leg of a call shares its linkedid.
        val calls = admin.cdr().listCallsFlow(query.copy(maxItems = 30u)).toList()
        assertEquals(30, calls.size)
        assertTrue(calls.all { call -> call.records.isNotEmpty() && call.records.all { it.linkedid == call.linkedid } })
    }

    @Test
    fun `employees create, get, patch, delete`() = runBlocking {
        val created = admin.employees().create(NewEmployee(number = "2951", userUsername = "Kotlin Test", sipSecret = "Xk9mPq2vLr7t", userEmail = "kt@example.com"))
        assertEquals("2951", created.number)
        assertEquals("Kotlin Test", admin.employees().get(created.id).userUsername)
        val patched = admin.employees().patch(created.id, EmployeePatch(userUsername = "Kotlin Patched"))
        assertEquals("Kotlin Patched", patched.userUsername)
        admin.employees().delete(created.id)
        val gone = assertThrows<MikoPbxException.NotFound> { runBlocking { admin.employees().get(created.id) } }
        assertEquals(ErrorKind.NOT_FOUND, gone.kind())
        assertEquals("employees.get", gone.operation())
        // 404, or the 422 the PBX answers for an unknown id on some reads.
        assertTrue(gone.status() in setOf(404.toUShort(), 422.toUShort()), gone.message)
    }

    @Test
    fun `active calls and channels`() = runBlocking {
        admin.pbxStatus().activeCalls()
        admin.pbxStatus().activeChannels()
        Unit
    }

    @Test
    fun `api keys generate, create, list, delete and the key never prints`() = runBlocking {
        val key = admin.apiKeys().generateKey()
        val secret = key.exposeSecret()
        assertEquals(64, secret.length)
        assertFalse(key.toString().contains(secret), key.toString())
        val info = admin.apiKeys().create(NewApiKey("kotlin key", key, false, mapOf("extensions" to Access.READ), NetworkFilter.Any))
        assertEquals(key.keyDisplay(), info.keyDisplay)
        assertEquals(mapOf("/api/v3/extensions" to "read"), info.allowedPaths)
        assertTrue(admin.apiKeys().listFlow().toList().any { it.id == info.id })
        val builder = sim.builder(secret)
        assertFalse(builder.toString().contains(secret), builder.toString())
        val client = builder.build()
        assertFalse(client.toString().contains(secret), client.toString())
        assertEquals("201", client.extensions().get("201").number)
        admin.apiKeys().delete(info.id)
        val refused = assertThrows<MikoPbxException> { runBlocking { client.system().checkAuth() } }
        assertEquals(ErrorKind.UNAUTHORIZED, refused.kind())
        assertFalse(refused.message.contains(secret))
        // A key made from a string prints redacted too.
        val own = ApiKey(secret)
        assertEquals(secret, own.exposeSecret())
        assertEquals(key.keyDisplay(), own.keyDisplay())
        assertFalse(own.toString().contains(secret), own.toString())
    }

    @Test
    fun `api keys update replaces permissions and description, and the key follows`() = runBlocking {
        val key = admin.apiKeys().generateKey()
        val created = admin.apiKeys().create(NewApiKey("kotlin update", key, false, mapOf("extensions" to Access.READ), NetworkFilter.Any))
        val client = sim.client(key.exposeSecret())
        assertEquals("201", client.extensions().get("201").number)
        // The server refuses (401); without the key's permissions the client cannot say more.
        val denied = assertThrows<MikoPbxException> { runBlocking { client.employees().listFlow(EmployeeQuery(pageSize = 1u)).take(1).toList() } }
        assertEquals(401.toUShort(), denied.status(), denied.message)
        assertEquals("employees.list", denied.operation())
        val updated = admin.apiKeys().update(created.id, NewApiKey("kotlin updated", key, false, mapOf("employees" to Access.READ), NetworkFilter.Any))
        assertEquals(created.id, updated.id)
        assertEquals("kotlin updated", updated.description)
        assertEquals(mapOf("/api/v3/employees" to "read"), updated.allowedPaths)
        assertEquals(mapOf("/api/v3/employees" to "read"), admin.apiKeys().get(created.id).allowedPaths)
        // The same key now reads employees and no longer extensions.
        assertEquals(1, client.employees().listFlow(EmployeeQuery(pageSize = 1u)).take(1).toList().size)
        val refused = assertThrows<MikoPbxException> { runBlocking { client.extensions().get("201") } }
        assertEquals(401.toUShort(), refused.status(), refused.message)
        assertEquals("extensions.get", refused.operation())
        // Told the new permissions, the client refuses the same call itself.
        val known = sim.builder(key.exposeSecret()).permissions(mapOf("employees" to Access.READ)).build()
        val local = assertThrows<MikoPbxException.PermissionDenied> { runBlocking { known.extensions().get("201") } }
        assertEquals(Resource.EXTENSIONS, local.resource)
        assertEquals(DenialOrigin.LOCAL, local.origin)
        admin.apiKeys().delete(created.id)
    }

    @Test
    fun `request reaches what the typed API does not cover, with the same checks`() = runBlocking {
        val page = admin.request(HttpMethod.GET, "/pbxcore/api/v3/extensions?limit=2", null)
        assertEquals(200.toUShort(), page.status)
        assertEquals(2, org.json.JSONArray(page.dataJson).length(), page.dataJson)
        val defaults = admin.request(HttpMethod.GET, "/pbxcore/api/v3/employees:getDefault", null)
        assertTrue(org.json.JSONObject(defaults.dataJson).length() > 0, defaults.dataJson)
        // Dangerous actions stay behind the opt-in, even those the typed API does not have.
        val danger = assertThrows<MikoPbxException.Config> {
            runBlocking { admin.request(HttpMethod.POST, "/pbxcore/api/v3/system:executeBashCommand", "{}") }
        }
        assertTrue(danger.message.contains("dangerous action"), danger.message)
        assertThrows<MikoPbxException.Config> {
            runBlocking { admin.request(HttpMethod.POST, "/pbxcore/api/v3/call-queues", "{not json") }
        }
        // A module's path the key does not hold: refused before sending, naming the grant.
        val key = newKey(mapOf("extensions" to Access.READ))
        val limited = sim.builder(key).permissions(mapOf("extensions" to Access.READ)).build()
        val e = assertThrows<MikoPbxException.PermissionDenied> {
            runBlocking { limited.request(HttpMethod.GET, "/pbxcore/api/v3/module-example/tasks", null) }
        }
        assertNull(e.resource)
        assertEquals("/api/v3/module-example/tasks", e.allowedPath)
        assertEquals(DenialOrigin.LOCAL, e.origin)
        assertFalse(e.message.contains(key), "the key never shows")
    }

    @Test
    fun `minimal permissions follow the HTTP verb`() {
        val needed = minimalPermissions(listOf("extensions.list", "cdr.list", "extensions.available"))
        assertEquals(mapOf("/api/v3/extensions" to "write", "/api/v3/cdr" to "read"), needed)
        assertEquals(mapOf("/api/v3/cdr" to "read"), minimalPermissions(listOf("cdr.list_calls")))
        val e = assertThrows<MikoPbxException.Config> { minimalPermissions(listOf("no.such.op")) }
        assertTrue(e.message.contains("no.such.op"), e.message)
        assertEquals(ErrorKind.CONFIG, e.kind())
        assertNull(e.operation())
        assertNull(e.status())
    }

    // ---- each error kind from a real cause ------------------------------------------------

    @Test
    fun `untrusted certificate is a TLS error, unknown issuer`() = runBlocking {
        val client = ClientBuilder(sim.url).apiKey(sim.adminKey).build()
        val e = assertThrows<MikoPbxException.Tls> { runBlocking { client.system().ping() } }
        assertEquals(TlsKind.UNKNOWN_ISSUER, e.tlsKind)
        assertEquals("tls", e.kindName())
        assertEquals("system.ping", e.operation())
        assertNull(e.status())
        // The human text (the core's Display), not a field dump.
        assertEquals(e.toString(), e.message)
        assertTrue(e.message.contains("TLS failure"), e.message)
        assertFalse(e.message.startsWith("operation="), e.message)
    }

    @Test
    fun `a wrong pin is a TLS pin mismatch`() = runBlocking {
        val client = sim.builder().pinCertificateSha256("00".repeat(32)).build()
        val e = assertThrows<MikoPbxException.Tls> { runBlocking { client.system().ping() } }
        assertEquals(TlsKind.PIN_MISMATCH, e.tlsKind)
    }

    @Test
    fun `missing permission is refused locally with resource and required`() = runBlocking {
        val key = newKey(mapOf("employees" to Access.READ))
        val client = sim.builder(key).permissions(mapOf("employees" to Access.READ)).build()
        val e = assertThrows<MikoPbxException.PermissionDenied> {
            runBlocking { client.employees().create(NewEmployee(number = "2952", userUsername = "No", sipSecret = "Xk9mPq2vLr7t")) }
        }
        assertEquals(Resource.EMPLOYEES, e.resource)
        assertEquals(Access.WRITE, e.required)
        assertEquals(Access.READ, e.granted)
        assertEquals(DenialOrigin.LOCAL, e.origin)
        assertEquals("employees.create", e.operation())
        assertNull(e.status())
        assertTrue(e.message.contains("Grant Write"), e.message)
    }

    @Test
    fun `missing permission is diagnosed from the server's 401`() = runBlocking {
        val key = newKey(mapOf("employees" to Access.READ))
        val client = sim.client(key)
        val e = assertThrows<MikoPbxException.PermissionDenied> {
            runBlocking { client.employees().create(NewEmployee(number = "2953", userUsername = "No", sipSecret = "Xk9mPq2vLr7t")) }
        }
        assertEquals(Resource.EMPLOYEES, e.resource)
        assertEquals(Access.WRITE, e.required)
        assertEquals(DenialOrigin.SERVER, e.origin)
        assertEquals(401.toUShort(), e.status())
        assertEquals("permission_denied", e.kindName())
    }

    @Test
    fun `a bogus key is unauthorized with a diagnosis`() = runBlocking {
        val bogus = "0123456789abcdef".repeat(4)
        val e = assertThrows<MikoPbxException.Unauthorized> { runBlocking { sim.client(bogus).system().checkAuth() } }
        assertEquals(401.toUShort(), e.status)
        assertEquals(401.toUShort(), e.status())
        assertEquals("system.check_auth", e.operation())
        assertFalse(e.message.contains(bogus))
        assertTrue(e.diagnosis.advice.isNotEmpty() || e.diagnosis.remaining.isNotEmpty(), e.diagnosis.toString())
    }

    @Test
    fun `a localhost-only key used from 127_0_0_2 is network restricted`() = runBlocking {
        val paths = mapOf("extensions" to Access.READ)
        val key = newKey(paths, NetworkFilter.Localhost)
        assertEquals("201", sim.client(key).extensions().get("201").number)
        val remote = sim.builder(key).localAddress("127.0.0.2").permissions(paths, NetworkFilter.Localhost).build()
        val e = assertThrows<MikoPbxException.NetworkRestricted> { runBlocking { remote.extensions().get("201") } }
        assertEquals(NetworkFilter.Localhost, e.filter)
        assertEquals(401.toUShort(), e.status)
    }

    @Test
    fun `not found and validation carry the server's messages`() = runBlocking {
        val nf = assertThrows<MikoPbxException.NotFound> { runBlocking { admin.employees().patch("999999", EmployeePatch(userUsername = "Nobody")) } }
        assertEquals(404.toUShort(), nf.status)
        val v = assertThrows<MikoPbxException.Validation> {
            runBlocking { admin.employees().create(NewEmployee(number = "1", userUsername = "Too Short", sipSecret = "Xk9mPq2vLr7t")) }
        }
        // Refused by the core's own check before sending, or by the PBX with 422.
        assertTrue(v.status == null || v.status == 422.toUShort(), v.message)
        assertTrue(v.messages.isNotEmpty(), v.message)
    }

    @Test
    fun `the web firewall's 403 is its own error`() = runBlocking {
        // The release WAF checks the raw User-Agent (query values arrive percent-encoded).
        val remote = sim.builder().localAddress("127.0.0.2").userAgentSuffix("crm' or 1=1").build()
        val e = assertThrows<MikoPbxException.BlockedByFirewall> { runBlocking { remote.extensions().get("201") } }
        assertEquals(403.toUShort(), e.status)
        assertEquals(ErrorKind.BLOCKED_BY_FIREWALL, e.kind())
    }

    @Test
    fun `plain http to a remote host and bad options are refused before sending`() {
        val e = assertThrows<MikoPbxException.InsecureTransport> { ClientBuilder("http://pbx.example.invalid").apiKey(sim.adminKey).build() }
        assertEquals(ErrorKind.INSECURE_TRANSPORT, e.kind())
        assertThrows<MikoPbxException.Config> { sim.builder().localAddress("not-an-ip").build() }
        assertThrows<MikoPbxException.Config> { sim.builder().pinCertificateSha256("xyz").build() }
        val badPaths = sim.builder().permissions(mapOf("Not A Path!" to Access.READ))
        repeat(2) { assertThrows<MikoPbxException.Config> { badPaths.build() } }
    }

    @Test
    fun `a closed port is a connect error and a slow answer a timeout`() = runBlocking {
        val closed = ClientBuilder("https://127.0.0.1:9").apiKey(sim.adminKey).maxRetries(0u).build()
        assertThrows<MikoPbxException.Connect> { runBlocking { closed.system().ping() } }
        sim.faults("""{"latency_ms": 1500}""")
        try {
            val hasty = sim.builder().timeout(Duration.ofMillis(300)).maxRetries(0u).build()
            assertThrows<MikoPbxException.Timeout> { runBlocking { hasty.system().ping() } }
        } finally {
            sim.faults("""{"latency_ms": 0}""")
        }
        Unit
    }

    @Test
    fun `5xx bursts become ServiceBusy or Server errors once retries are spent`() = runBlocking {
        sim.faults("""{"status_burst": {"status": 503, "count": 3}}""")
        try {
            val e = assertThrows<MikoPbxException> { runBlocking { sim.builder().maxRetries(0u).build().system().ping() } }
            assertEquals(ErrorKind.SERVICE_BUSY, e.kind(), e.message)
        } finally {
            sim.faults("""{"status_burst": {"status": 503, "count": 0}}""")
        }
        // With retries the same burst is absorbed.
        sim.faults("""{"status_burst": {"status": 503, "count": 1}}""")
        admin.system().ping()
    }

    @Test
    fun `a 500, a truncated body and a delete that breaks a route are Server, Decode and Conflict`() = runBlocking {
        val once = sim.builder().maxRetries(0u).build()
        sim.faults("""{"status_burst": {"status": 500, "count": 1}}""")
        val server = assertThrows<MikoPbxException.Server> { runBlocking { once.extensions().get("201") } }
        assertEquals(500.toUShort(), server.status)
        assertEquals(500.toUShort(), server.status())
        sim.faults("""{"truncate_next": 1}""")
        val decode = assertThrows<MikoPbxException.Decode> { runBlocking { once.extensions().get("201") } }
        sim.faults("""{"truncate_next": 0}""")
        assertEquals(ErrorKind.DECODE, decode.kind())
        // Extension 201 is the seeded IVR menu's timeout target: deleting its employee would break
        // that route, a conflict (nothing is deleted; queue membership alone would cascade).
        val member = admin.employees().listFlow(EmployeeQuery(search = "201")).toList().first { it.number == "201" }
        val conflict = assertThrows<MikoPbxException.Conflict> { runBlocking { admin.employees().delete(member.id) } }
        assertEquals(409.toUShort(), conflict.status)
        assertTrue(conflict.messages.isNotEmpty(), conflict.message)
    }

    @Test
    fun `rate limiting from a remote address is RateLimited, and a PBX that drops a key's network filter is reported`() {
        Simulator.start().use { own ->
            // The real REST API stores networkfilterid "localhost" as "no filter"; the core checks.
            val ownAdmin = own.client()
            val dropped = assertThrows<MikoPbxException.Server> {
                runBlocking { ownAdmin.apiKeys().create(NewApiKey("local", ownAdmin.apiKeys().generateKey(), true, emptyMap(), NetworkFilter.Localhost)) }
            }
            assertTrue(dropped.message.contains("network"), dropped.message)

            val remote = own.builder().localAddress("127.0.0.2").maxRetries(0u).noRateLimit().build()
            val e = assertThrows<MikoPbxException.RateLimited> {
                runBlocking { repeat(1000) { remote.system().ping() } }
            }
            assertEquals(429.toUShort(), e.status)
            assertEquals(ErrorKind.RATE_LIMITED, e.kind())
        }
    }

    // ---- cancellation ---------------------------------------------------------------------

    @Test
    fun `cancelling a coroutine mid-request leaves the client usable`() = runBlocking {
        sim.faults("""{"latency_ms": 3000}""")
        try {
            val started = System.nanoTime()
            assertThrows<TimeoutCancellationException> { runBlocking { withTimeout(300) { admin.system().ping() } } }
            val job = launch { admin.extensions().get("201") }
            delay(200)
            job.cancel()
            job.join()
            assertTrue(job.isCancelled)
            assertTrue(System.nanoTime() - started < 2_500_000_000, "cancellation did not return promptly")
        } finally {
            sim.faults("""{"latency_ms": 0}""")
        }
        // Same client, concurrent calls, all fine.
        val numbers = (1..5).map { async { admin.extensions().get("201").number } }.awaitAll()
        assertEquals(List(5) { "201" }, numbers)
    }
}
