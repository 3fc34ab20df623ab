// Hand-written Kotlin layer over the generated bindings: the one generic helper behind the list
// `Flow`s, and the `Flow`s of call events and of a recording's bytes. `bindings/ffi/wrappers.py` generates, for every list cursor, `pager.asFlow()` and a cold
// `api.listFlow(query)` (`client.extensions().listFlow(ExtensionQuery(...))`) on top of it.
package com.mikopbx.sdk

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/** Emits every item of every page that [nextPage] returns, until it returns null. */
fun <T> pagesAsFlow(nextPage: suspend () -> List<T>?): Flow<T> = flow {
    while (true) {
        val page = nextPage() ?: break
        for (item in page) emit(item)
    }
}

/**
 * The watcher's call events as a [Flow]: one `nextEvent()` per item, so collecting slowly never
 * skips an event. A failed poll ends the flow with its [com.mikopbx.sdk.model.MikoPbxException];
 * nothing is lost by that: collect `events()` again (or `retry` the flow) and the watcher goes on
 * where it stopped.
 */
fun com.mikopbx.sdk.model.CallWatcher.events(): Flow<com.mikopbx.sdk.model.CallEvent> = flow {
    while (true) emit(nextEvent())
}

/**
 * The recording's bytes chunk by chunk as a [Flow], each byte exactly once: a cut connection is
 * resumed with a byte range by the core. Collecting again downloads again.
 */
fun com.mikopbx.sdk.model.Recording.chunks(): Flow<ByteArray> = flow {
    val stream = open()
    while (true) emit(stream.nextChunk() ?: break)
}
