// CRM contact lookup: who is this phone number, and what were their last calls?
//
// Reads MIKOPBX_URL, MIKOPBX_API_KEY and either MIKOPBX_CA_CERT (a PEM file to trust) or
// MIKOPBX_CERT_SHA256 (the PBX certificate's pin, as `mikopbx doctor` prints it).
package com.example.crm

import com.mikopbx.sdk.ClientBuilder
import com.mikopbx.sdk.listFlow
import com.mikopbx.sdk.minimalPermissions
import com.mikopbx.sdk.model.CdrQuery
import com.mikopbx.sdk.model.EmployeeQuery
import com.mikopbx.sdk.model.ExtensionQuery
import com.mikopbx.sdk.model.MikoPbxException
import java.io.File
import java.time.LocalDate
import kotlin.system.exitProcess
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>) = runBlocking {
    val number = args.firstOrNull() ?: run {
        System.err.println("usage: ContactLookup <phone number>")
        exitProcess(2)
    }
    fun env(name: String): String? = System.getenv(name)?.takeIf { it.isNotBlank() }

    var builder = ClientBuilder(env("MIKOPBX_URL") ?: error("set MIKOPBX_URL"))
        .apiKey(env("MIKOPBX_API_KEY") ?: error("set MIKOPBX_API_KEY"))
        .userAgentSuffix("crm-contact-lookup/0.1")
    env("MIKOPBX_CA_CERT")?.let { builder = builder.trustCertificatePem(File(it).readText()) }
    env("MIKOPBX_CERT_SHA256")?.let { builder = builder.pinCertificateSha256(it) }

    try {
        builder.build().use { client ->
            val extensions = client.extensions().listFlow(ExtensionQuery(search = number, pageSize = 20u)).take(5).toList()
            val employees = client.employees().listFlow(EmployeeQuery(search = number)).take(5).toList()
            val today = LocalDate.now()
            val calls = client.cdr().listFlow(
                CdrQuery(dateFrom = today.minusDays(30).toString(), dateTo = today.toString(), search = number, maxItems = 5u),
            ).toList()

            println("Contact lookup for $number")
            if (extensions.isEmpty() && employees.isEmpty()) println("  no extension or employee matches")
            for (e in extensions) println("  extension ${e.number} (${e.type}) ${e.callerid}")
            for (e in employees) println("  employee  ${e.number} ${e.userUsername} ${e.userEmail ?: ""}".trimEnd())
            println("Recent calls (${calls.size}):")
            for (c in calls) println("  ${c.start}  ${c.srcNum} -> ${c.dstNum}  ${c.disposition}  ${c.billsec}s")
            val needed = minimalPermissions(listOf("extensions.list", "employees.list", "cdr.list"))
            println("Least privilege for this integration: $needed")
        }
    } catch (e: MikoPbxException) {
        // Every error says what to do; `kindName()` is the same in every language.
        System.err.println("lookup failed (${e.kindName()}): ${e.message}")
        exitProcess(1)
    }
}
