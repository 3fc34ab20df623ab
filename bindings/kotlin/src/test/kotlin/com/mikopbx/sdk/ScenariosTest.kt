package com.mikopbx.sdk

import com.mikopbx.sdk.model.Access
import com.mikopbx.sdk.model.Client
import com.mikopbx.sdk.model.MikoPbxException
import com.mikopbx.sdk.model.NetworkFilter
import com.mikopbx.sdk.model.NewApiKey
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.json.JSONTokener
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

/**
 * Runs the JSON files in tests/scenarios (format in tests/README.md) against the simulator. No
 * per-operation code: every call goes through `Client.callOperationJson` with the scenario's
 * arguments (the Rust method's, by name); `minimal_permissions` is the one special op.
 */
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
        val (key, paths, network) = makeKey(s.opt("key") ?: "admin")
        val c = s.optJSONObject("client") ?: JSONObject()
        val url = c.optString("url", sim.url).replace("{sim_http}", sim.url.replaceFirst("https", "http"))
        var b = ClientBuilder(url).apiKey(key)
        if (c.optString("trust", "sim_ca") == "sim_ca") b = b.trustCertificatePem(sim.caPem)
        b = b.localAddress(c.optString("bind", "127.0.0.1"))
        if (c.has("max_retries")) b = b.maxRetries(c.getInt("max_retries").toUInt())
        (c.optString("user_agent_suffix", "").ifEmpty { c.optString("user_agent", "") }).takeIf { it.isNotEmpty() }?.let { b = b.userAgentSuffix(it) }
        if (c.optBoolean("known_permissions", false)) {
            b = if (paths == null) b.fullPermissions(network) else b.permissions(paths, network)
        }
        val call = s.getJSONObject("call")
        val expect = s.getJSONObject("expect")
        val result: Any? = try {
            invoke(b.build(), call.getString("op"), call.optJSONObject("args") ?: JSONObject())
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
            val network = when (val n = spec.opt("network") ?: "any") {
                "any" -> NetworkFilter.Any
                "localhost" -> NetworkFilter.Localhost
                else -> NetworkFilter.Id(n.toString().toLong())
            }
            val key = admin.apiKeys().generateKey()
            admin.apiKeys().create(NewApiKey("scenario key", key, paths == null, paths ?: emptyMap(), network))
            Key(key.exposeSecret(), paths, network)
        }
        else -> error("unknown key spec $spec")
    }

    /** `"today"` and `"-N days"` in `date_from`/`date_to`, anywhere in the arguments, as dates. */
    private fun resolveDates(v: Any?): Any? = when (v) {
        is JSONObject -> JSONObject().also { out ->
            for (k in v.keySet()) {
                val x = v.get(k)
                out.put(k, if ((k == "date_from" || k == "date_to") && x is String) date(x) else resolveDates(x))
            }
        }
        is JSONArray -> JSONArray().also { out -> for (i in 0 until v.length()) out.put(resolveDates(v.get(i))) }
        else -> v
    }

    private fun date(text: String): String = when {
        text == "today" -> LocalDate.now().toString()
        text.matches(Regex("-\\d+ days?")) -> LocalDate.now().minusDays(text.removePrefix("-").split(" ")[0].toLong()).toString()
        else -> text
    }

    /** The result as a JSON value (JSONObject, JSONArray, String, Number, Boolean or JSONObject.NULL). */
    private suspend fun invoke(client: Client, op: String, args: JSONObject): Any? =
        if (op == "minimal_permissions") {
            JSONObject(minimalPermissions(args.getJSONArray("ops").map { it.toString() }))
        } else {
            JSONTokener(client.callOperationJson(op, resolveDates(args).toString())).nextValue()
        }

    private fun checkError(e: MikoPbxException, want: JSONObject) {
        val what = "${e.kindName()}: ${e.message}"
        assertEquals(want.getString("kind"), e.kindName(), what)
        if (want.has("status")) assertEquals(want.getInt("status"), e.status()?.toInt(), what)
        if (want.has("resource") || want.has("required")) {
            val p = e as? MikoPbxException.PermissionDenied ?: fail("not a permission error: $what")
            // The short form: the path segment after /api/v3/ (API_KEYS → "api-keys").
            if (want.has("resource")) assertEquals(want.getString("resource"), p.resource?.name?.lowercase()?.replace('_', '-'), what)
            if (want.has("required")) assertEquals(want.getString("required"), p.required.name.lowercase(), what)
        }
        if (want.has("tls_kind")) {
            val t = e as? MikoPbxException.Tls ?: fail("not a TLS error: $what")
            assertEquals(want.getString("tls_kind"), t.tlsKind.name.lowercase(), what)
        }
        if (want.has("message_contains")) {
            assertTrue(e.message.lowercase().contains(want.getString("message_contains").lowercase()), what)
        }
    }

    private fun checkOk(result: Any?, want: JSONObject) {
        val items = result as? JSONArray
        fun count(): Int = items?.length() ?: 0
        if (want.has("min_items")) assertTrue(count() >= want.getInt("min_items"), "got ${count()} items: $result")
        if (want.has("max_items")) assertTrue(count() <= want.getInt("max_items"), "got ${count()} items")
        if (want.has("fields")) assertFields(result, want.getJSONObject("fields"))
        if (want.has("each")) {
            val each = want.getJSONObject("each")
            for (i in 0 until count()) assertFields(items!!.get(i), each)
        }
        if (want.has("contains")) {
            val text = want.getString("contains")
            val found = (0 until count()).any { i ->
                (items!!.get(i) as? JSONObject)?.let { o -> o.keySet().any { (o.get(it) as? String)?.contains(text) == true } } == true
            }
            assertTrue(found, "no item contains $text: $result")
        }
        if (want.has("equals")) assertEquals(plain(want.get("equals")), plain(result), "result")
    }

    /** Fields of a JSON object, compared as text. */
    private fun assertFields(obj: Any?, fields: JSONObject) {
        val o = obj as? JSONObject ?: fail("not an object: $obj")
        for (name in fields.keySet()) {
            assertTrue(o.has(name), "no field $name in $o")
            assertEquals(text(fields.get(name)), text(o.get(name)), "field $name of $o")
        }
    }

    private fun text(v: Any?): String = if (v is String) v else v.toString()

    private fun plain(v: Any?): Any? = when (v) {
        is JSONObject -> v.toMap()
        is JSONArray -> v.toList()
        JSONObject.NULL -> null
        else -> v
    }
}
