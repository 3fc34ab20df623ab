package com.mikopbx.sdk

import com.mikopbx.sdk.model.Client
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.nio.file.Path
import kotlin.coroutines.Continuation

/**
 * Every operation of the core's table is a method of its handle, named as the operation
 * (`extensions.get_for_select` → `client.extensions().getForSelect(...)`), found by reflection on
 * the generated classes, and takes the parameters the manifest lists.
 */
class ParityTest {
    private fun camel(s: String) = s.split('_').mapIndexed { i, p -> if (i == 0) p else p.replaceFirstChar { it.uppercase() } }.joinToString("")

    private fun method(operation: String): java.lang.reflect.Method? {
        val (handle, name) = operation.split('.', limit = 2)
        val accessor = Client::class.java.methods.firstOrNull { it.name == camel(handle) && it.parameterCount == 0 } ?: return null
        return accessor.returnType.methods.firstOrNull { it.name == camel(name) }
    }

    @Test
    fun `every operation of the core has its method on its handle`() {
        val names = operationNames()
        assertTrue(names.size >= 20, "operationNames: $names")
        assertEquals(emptyList<String>(), names.filter { method(it) == null }, "operations without a Kotlin method")
    }

    @Test
    fun `every method takes the manifest's parameters`() {
        val path = Path.of(System.getProperty("mikopbx.manifest") ?: "../../crates/mikopbx/manifest.json")
        val ops = JSONObject(Files.readString(path)).getJSONArray("operations")
        val wrong = (0 until ops.length()).map { ops.getJSONObject(it) }.mapNotNull { op ->
            val params = op.getJSONArray("parameters").let { a -> (0 until a.length()).map { a.getJSONObject(it) } }
            // A query struct's fields are listed one by one; the method takes the struct.
            val (fields, others) = params.partition { it.getString("in") == "query" && it.getString("type") != "Option<&str>" || it.getString("in") == "client" }
            val expected = others.size + if (fields.isEmpty()) 0 else 1
            val m = method(op.getString("name")) ?: return@mapNotNull "${op.getString("name")}: missing"
            val actual = m.parameterTypes.count { it != Continuation::class.java }
            if (actual == expected) null else "${op.getString("name")}: $actual parameters, manifest says $expected"
        }
        assertEquals(emptyList<String>(), wrong)
    }
}
