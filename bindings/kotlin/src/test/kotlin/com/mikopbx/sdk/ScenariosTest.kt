package com.mikopbx.sdk

import com.mikopbx.sdk.model.Access
import com.mikopbx.sdk.model.CdrQuery
import com.mikopbx.sdk.model.EmployeePatch
import com.mikopbx.sdk.model.EmployeeQuery
import com.mikopbx.sdk.model.ExtensionQuery
import com.mikopbx.sdk.model.NetworkFilter
import com.mikopbx.sdk.model.NewEmployee
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import java.nio.file.Files
import java.nio.file.Path
import java.time.LocalDate
import kotlin.io.path.extension
import kotlin.io.path.name

/** Runs the JSON files in tests/scenarios (format in tests/README.md) against the simulator. */
class ScenariosTest {
    private val sim = Simulator.shared
    private val admin by lazy { sim.client() }

    @TestFactory
    fun scenarios(): List<DynamicTest> {
        val dir = Path.of(System.getProperty("mikopbx.scenarios") ?: "../../tests/scenarios")
        val files = Files.list(dir).use { s -> s.filter { it.extension == "json" }.sorted().toList() }
        assertTrue(files.isNotEmpty(), "no scenario files in $dir")
        return files.flatMap { file ->
            val array = JSONArray(Files.readString(file))
            (0 until array.length()).map { i ->
                val scenario = array.getJSONObject(i)
                DynamicTest.dynamicTest("${file.name}: ${scenario.getString("name")}") { run(scenario) }
            }
        }
    }

    private fun run(s: JSONObject) = runBlocking {
        val keySpec = s.opt("key") ?: "admin"
        val (key, paths, network) = makeKey(keySpec)
        val c = s.optJSONObject("client") ?: JSONObject()
        val url = c.optString("url", sim.url).replace("{sim_http}", sim.url.replaceFirst("https", "http"))
        var b = ClientBuilder(url).apiKey(key)
        if (c.optString("trust", "sim_ca") == "sim_ca") b = b.trustCertificatePem(sim.caPem)
        b = b.localAddress(c.optString("bind", "127.0.0.1"))
        if (c.has("max_retries")) b = b.maxRetries(c.getInt("max_retries").toUInt())
        (c.str("user_agent_suffix") ?: c.str("user_agent"))?.let { b = b.userAgentSuffix(it) }
        if (c.optBoolean("known_permissions", false)) {
            b = if (paths == null) b.fullPermissions(network) else b.permissions(paths, network)
        }
        val call = s.getJSONObject("call")
        val expect = s.getJSONObject("expect")
        val result: Any? = try {
            val client = b.build()
            invoke(client, call.getString("op"), call.optJSONObject("args") ?: JSONObject())
        } catch (e: MikoPbxException) {
            if (!expect.has("error")) fail<Unit>("unexpected error: ${e.kindName()}: ${e.message}")
            checkError(e, expect.getJSONObject("error"))
            return@runBlocking
        }
        if (!expect.has("ok")) fail<Unit>("expected ${expect.getJSONObject("error")} but the call succeeded: $result")
        checkOk(result, expect.getJSONObject("ok"))
    }

    private data class Key(val secret: String, val paths: Map<String, Access>?, val network: NetworkFilter?)

    private suspend fun makeKey(spec: Any): Key = when (spec) {
        "admin" -> Key(sim.adminKey, null, null)
        "bogus" -> Key((1..64).map { "0123456789abcdef".random() }.joinToString(""), null, null)
        is JSONObject -> {
            val perms = spec.get("permissions")
            val paths = if (perms == "full") null else (perms as JSONObject).let { o ->
                o.keySet().associateWith { Access.valueOf(o.getString(it).uppercase()) }
            }
            val network = if (spec.optString("network", "any") == "localhost") NetworkFilter.Localhost else NetworkFilter.Any
            val key = admin.apiKeys().generateKey()
            admin.apiKeys().create("scenario key", key, paths, network)
            Key(key.exposeSecret(), paths, network)
        }
        else -> error("unknown key spec $spec")
    }

    private fun JSONObject.str(name: String): String? = if (has(name) && !isNull(name)) get(name).toString() else null
    private fun JSONObject.uint(name: String): UInt? = if (has(name)) getInt(name).toUInt() else null
    private fun JSONObject.ulong(name: String): ULong? = if (has(name)) getLong(name).toULong() else null

    private fun date(text: String?): String? = when {
        text == null -> null
        text == "today" -> LocalDate.now().toString()
        text.matches(Regex("-\\d+ days?")) -> LocalDate.now().minusDays(text.removePrefix("-").split(" ")[0].toLong()).toString()
        else -> text
    }

    private suspend fun <T> Flow<T>.upTo(max: ULong?): List<T> = if (max == null) toList() else take(max.toInt()).toList()

    private suspend fun invoke(client: Client, op: String, a: JSONObject): Any? = when (op) {
        "system.ping" -> client.system().ping()
        "system.check_auth" -> client.system().checkAuth()
        "sysinfo.get_info" -> client.sysinfo().getInfo()
        "pbx_status.active_calls" -> client.pbxStatus().activeCalls()
        "pbx_status.active_channels" -> client.pbxStatus().activeChannels()
        "api_keys.generate_key" -> client.apiKeys().generateKey()
        "api_keys.list" -> client.apiKeys().listFlow().upTo(a.ulong("max_items"))
        "extensions.get" -> client.extensions().get(a.getString("number"))
        "extensions.available" -> client.extensions().available(a.getString("number"))
        "extensions.list" -> client.extensions()
            .listFlow(ExtensionQuery(search = a.str("search"), type = a.str("type"), limit = a.uint("page_size")))
            .upTo(a.ulong("max_items"))
        "employees.list" -> client.employees()
            .listFlow(EmployeeQuery(search = a.str("search"), limit = a.uint("page_size")))
            .upTo(a.ulong("max_items"))
        "employees.get" -> client.employees().get(a.getString("id"))
        "employees.delete" -> client.employees().delete(a.getString("id"))
        "employees.create" -> client.employees().create(
            NewEmployee(number = a.getString("number"), userUsername = a.getString("user_username"), sipSecret = a.getString("sip_secret"),
                userEmail = a.str("user_email"), mobileNumber = a.str("mobile_number")),
        )
        "employees.patch" -> client.employees().patch(
            a.getString("id"),
            EmployeePatch(number = a.str("number"), userUsername = a.str("user_username"), sipSecret = a.str("sip_secret"),
                userEmail = a.str("user_email"), mobileNumber = a.str("mobile_number")),
        )
        "cdr.list" -> client.cdr().listFlow(
            CdrQuery(dateFrom = date(a.str("date_from")), dateTo = date(a.str("date_to")), srcNum = a.str("src_num"), dstNum = a.str("dst_num"),
                disposition = a.str("disposition"), pageSize = a.uint("page_size"), maxItems = a.ulong("max_items")),
        ).toList()
        "minimal_permissions" -> minimalPermissions(a.getJSONArray("ops").map { it.toString() })
        else -> error("unknown op $op")
    }

    private fun checkError(e: MikoPbxException, want: JSONObject) {
        val what = "${e.kindName()}: ${e.message}"
        assertEquals(want.getString("kind"), e.kindName(), what)
        if (want.has("status")) assertEquals(want.getInt("status"), e.httpStatus()?.toInt(), what)
        if (want.has("resource") || want.has("required")) {
            val p = e as? MikoPbxException.PermissionDenied ?: fail("not a permission error: $what")
            if (want.has("resource")) assertEquals(want.getString("resource"), p.resourceName, what)
            if (want.has("required")) assertEquals(want.getString("required"), p.required.name.lowercase(), what)
        }
        if (want.has("tls_kind")) {
            val t = e as? MikoPbxException.Tls ?: fail("not a TLS error: $what")
            assertEquals(want.getString("tls_kind"), t.tlsKind.name.lowercase(), what)
        }
        if (want.has("message_contains")) {
            assertTrue(e.message!!.lowercase().contains(want.getString("message_contains").lowercase()), what)
        }
    }

    private fun checkOk(result: Any?, want: JSONObject) {
        val items = result as? List<*>
        if (want.has("min_items")) assertTrue(items!!.size >= want.getInt("min_items"), "got ${items.size} items")
        if (want.has("max_items")) assertTrue(items!!.size <= want.getInt("max_items"), "got ${items.size} items")
        if (want.has("fields")) {
            val fields = want.getJSONObject("fields")
            for (name in fields.keySet()) assertEquals(fields.get(name).toString(), field(result, name), "field $name of $result")
        }
        if (want.has("each")) {
            val each = want.getJSONObject("each")
            for (item in items!!) for (name in each.keySet()) assertEquals(each.get(name).toString(), field(item, name), "field $name of $item")
        }
        if (want.has("contains")) {
            val text = want.getString("contains")
            assertTrue(items!!.any { item -> stringFields(item).any { it.contains(text) } }, "no item contains $text")
        }
        if (want.has("equals")) {
            when (val expected = want.get("equals")) {
                is JSONObject -> assertEquals(expected.toMap().mapValues { it.value.toString() }, result)
                else -> assertEquals(expected, result)
            }
        }
    }

    /** A record's field by its wire (snake_case) name, as a string: the generated data classes use camelCase. */
    private fun field(obj: Any?, wire: String): String? {
        val camel = wire.split('_').mapIndexed { i, p -> if (i == 0) p else p.replaceFirstChar { it.uppercase() } }.joinToString("")
        val getter = obj!!.javaClass.methods.firstOrNull { it.parameterCount == 0 && it.name == "get" + camel.replaceFirstChar { it.uppercase() } }
            ?: fail("no field $wire on ${obj.javaClass.simpleName}")
        return getter.invoke(obj)?.toString()
    }

    private fun stringFields(obj: Any?): List<String> =
        obj!!.javaClass.methods.filter { it.parameterCount == 0 && it.name.startsWith("get") && it.returnType == String::class.java }
            .mapNotNull { it.invoke(obj) as String? }
}
