// Hand-written Kotlin layer over the generated bindings: list cursors as cold `Flow`s.
//
// `client.extensions().listFlow(ExtensionQuery(...))` is cold and restartable: each collection
// opens a new cursor, fetches pages lazily (one page in memory) and closes the cursor when the
// collector finishes, fails or is cancelled. `pager.asFlow()` drains an existing cursor once.
package com.mikopbx.sdk

import com.mikopbx.sdk.model.ApiKeyInfo
import com.mikopbx.sdk.model.CdrCall
import com.mikopbx.sdk.model.CdrQuery
import com.mikopbx.sdk.model.CdrRecord
import com.mikopbx.sdk.model.Employee
import com.mikopbx.sdk.model.EmployeeQuery
import com.mikopbx.sdk.model.Extension
import com.mikopbx.sdk.model.ExtensionQuery
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/** Emits every item of every page that [nextPage] returns, until it returns null. */
fun <T> pagesAsFlow(nextPage: suspend () -> List<T>?): Flow<T> = flow {
    while (true) {
        val page = nextPage() ?: break
        for (item in page) emit(item)
    }
}

/** The remaining items of this cursor (single use: a cursor is not rewound). */
fun ExtensionPager.asFlow(): Flow<Extension> = pagesAsFlow { nextPage() }

/** The remaining items of this cursor (single use: a cursor is not rewound). */
fun EmployeePager.asFlow(): Flow<Employee> = pagesAsFlow { nextPage() }

/** The remaining items of this cursor (single use: a cursor is not rewound). */
fun CdrPager.asFlow(): Flow<CdrRecord> = pagesAsFlow { nextPage() }

/** The remaining items of this cursor (single use: a cursor is not rewound). */
fun CdrCallPager.asFlow(): Flow<CdrCall> = pagesAsFlow { nextPage() }

/** The remaining items of this cursor (single use: a cursor is not rewound). */
fun ApiKeyPager.asFlow(): Flow<ApiKeyInfo> = pagesAsFlow { nextPage() }

/** Extensions matching [query], as a cold flow (each collection starts from the first page). */
fun ExtensionsApi.listFlow(query: ExtensionQuery): Flow<Extension> = flow {
    list(query).use { pager -> pagesAsFlow { pager.nextPage() }.collect { emit(it) } }
}

/** Employees matching [query], as a cold flow. */
fun EmployeesApi.listFlow(query: EmployeeQuery): Flow<Employee> = flow {
    list(query).use { pager -> pagesAsFlow { pager.nextPage() }.collect { emit(it) } }
}

/** Call records matching [query], as a cold flow. */
fun CdrApi.listFlow(query: CdrQuery): Flow<CdrRecord> = flow {
    list(query).use { pager -> pagesAsFlow { pager.nextPage() }.collect { emit(it) } }
}

/** Calls (legs grouped by linkedid) matching [query], as a cold flow. */
fun CdrApi.listCallsFlow(query: CdrQuery): Flow<CdrCall> = flow {
    listCalls(query).use { pager -> pagesAsFlow { pager.nextPage() }.collect { emit(it) } }
}

/** Every API key record, as a cold flow. */
fun ApiKeysApi.listFlow(): Flow<ApiKeyInfo> = flow {
    list().use { pager -> pagesAsFlow { pager.nextPage() }.collect { emit(it) } }
}
