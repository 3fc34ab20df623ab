package com.mikopbx.sdk

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Test
import java.nio.file.Files

/**
 * Learn mode through the builder (`recordUsage`). The `MIKOPBX_RECORD_USAGE` variable is read by
 * the same core `build()`; a JVM cannot set its own environment, so the CLI's and Python's
 * tests cover the variable.
 */
class UsageTest {
    @Test
    fun `recordUsage writes each operation once and nothing secret`() = runBlocking {
        val sim = Simulator.shared
        val file = Files.createTempDirectory("mikopbx-usage").resolve("usage.txt")
        val client = sim.builder().recordUsage(file.toString()).build()
        client.system().ping()
        client.system().ping()
        client.extensions().get("201")
        assertEquals(listOf("# mikopbx usage v1", "system.ping", "extensions.get"), Files.readAllLines(file))
        assertFalse(Files.readString(file).contains(sim.adminKey))
    }
}
