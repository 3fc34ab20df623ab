//! Real, small, silent audio files of a given length in the four formats a MikoPBX serves a
//! recording in (`PlaybackAction.php` `getAudioMimeType()`: mp3, wav, webm, ogg), so that a
//! client that checks a file's type or plays it gets what the PBX would send. The PBX converts
//! with ffmpeg (`convertAudioFile`, `PlaybackAction.php:394-540`): WebM and Ogg hold Opus
//! (48 kHz), MP3 is LAME, WAV is PCM. Each writer here makes a file a decoder accepts and plays as
//! silence of that length (checked once by hand with ffmpeg 5.1: `ffprobe` reads 2.5 s files of
//! 2 500 ms as mp3/32 kHz, pcm_s16le/8 kHz, opus/48 kHz in ogg and in matroska,webm, and
//! `ffmpeg -f null` decodes each without an error; the tests below hold the structure).

/// A silent MPEG-1 Layer III stream of `ms` milliseconds: 32 kbit/s, 32 kHz, mono, 144-byte
/// frames of 1152 samples (36 ms). Every frame is a valid header, zero side information and
/// zero main data, which decoders play as silence.
pub(crate) fn silent_mp3(ms: u64) -> Vec<u8> {
    const FRAME: usize = 144;
    let frames = ms.div_ceil(36).max(1) as usize;
    let mut out = Vec::with_capacity(frames * FRAME);
    for _ in 0..frames {
        out.extend_from_slice(&[0xFF, 0xFB, 0x18, 0xC4]);
        out.resize(out.len() + FRAME - 4, 0);
    }
    out
}

/// A silent 8 kHz, 16-bit, mono PCM WAV of `ms` milliseconds.
pub(crate) fn silent_wav(ms: u64) -> Vec<u8> {
    let data_len = (ms * 8 * 2) as u32; // 8 samples per ms, 2 bytes each
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
    out.extend_from_slice(&16000u32.to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.resize(44 + data_len as usize, 0);
    out
}

/// One 20 ms Opus packet of silence: TOC 0xF8 (CELT-only fullband, 20 ms, mono, one frame)
/// followed by a frame that decodes to silence (RFC 6716 §3.1; what encoders emit for DTX).
const OPUS_SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];
/// Opus always counts 48 kHz samples: 960 per 20 ms packet.
const SAMPLES_PER_PACKET: u64 = 960;
/// Samples an Opus decoder discards at the start (`pre-skip`, RFC 7845 §5.1; libopus: 312).
const PRE_SKIP: u16 = 312;

fn opus_packets(ms: u64) -> u64 {
    ms.div_ceil(20).max(1)
}

/// `OpusHead` (RFC 7845 §5.1): version 1, mono, pre-skip, 48 kHz input, gain 0, mapping 0.
fn opus_head() -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.push(1);
    h.push(1);
    h.extend_from_slice(&PRE_SKIP.to_le_bytes());
    h.extend_from_slice(&48_000u32.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.push(0);
    h
}

/// The Ogg page checksum: CRC-32, polynomial 0x04C11DB7, no reflection, initial 0
/// (RFC 3533 §6).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// One Ogg page holding whole `packets` (each < 255 bytes here).
fn ogg_page(out: &mut Vec<u8>, flags: u8, granule: u64, seq: u32, packets: &[&[u8]]) {
    let start = out.len();
    out.extend_from_slice(b"OggS");
    out.push(0); // version
    out.push(flags);
    out.extend_from_slice(&granule.to_le_bytes());
    out.extend_from_slice(&0x4D50_4258u32.to_le_bytes()); // stream serial number
    out.extend_from_slice(&seq.to_le_bytes());
    let crc_at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(packets.len() as u8);
    for p in packets {
        out.push(p.len() as u8);
    }
    for p in packets {
        out.extend_from_slice(p);
    }
    let crc = ogg_crc(&out[start..]);
    out[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
}

/// A silent Ogg Opus file (RFC 7845) of `ms` milliseconds, mono.
pub(crate) fn silent_ogg(ms: u64) -> Vec<u8> {
    let mut out = Vec::new();
    ogg_page(&mut out, 0x02, 0, 0, &[&opus_head()]); // beginning of stream
    let mut tags = b"OpusTags".to_vec();
    let vendor = b"mikopbx-sim";
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0u32.to_le_bytes()); // no comments
    ogg_page(&mut out, 0, 0, 1, &[&tags]);
    let total = opus_packets(ms);
    let mut seq = 2;
    let mut done = 0u64;
    // 50 packets (one second) per page.
    while done < total {
        let n = (total - done).min(50);
        done += n;
        let packets: Vec<&[u8]> = (0..n).map(|_| &OPUS_SILENCE[..]).collect();
        // The last page's granule position gives the exact length: packets' samples minus what
        // the end trims, plus the pre-skip (RFC 7845 §4).
        let granule = if done == total {
            ms * 48 + u64::from(PRE_SKIP)
        } else {
            done * SAMPLES_PER_PACKET
        };
        let flags = if done == total { 0x04 } else { 0 }; // end of stream
        ogg_page(&mut out, flags, granule, seq, &packets);
        seq += 1;
    }
    out
}

/// An EBML element: id, size (8-byte form for simplicity where it may be large), payload.
fn ebml(id: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    let len = payload.len() as u64;
    // Size as a 8-byte vint: 0x01 marker then 7 bytes.
    out.push(0x01);
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(payload);
    out
}

fn ebml_uint(id: &[u8], v: u64) -> Vec<u8> {
    ebml(id, &v.to_be_bytes())
}

fn ebml_float(id: &[u8], v: f64) -> Vec<u8> {
    ebml(id, &v.to_be_bytes())
}

/// A silent WebM (Matroska, Opus) file of `ms` milliseconds, mono, 48 kHz: what
/// `WorkerWav2Webm` leaves on a PBX of the current releases.
pub(crate) fn silent_webm(ms: u64) -> Vec<u8> {
    let header = ebml(
        &[0x1A, 0x45, 0xDF, 0xA3],
        &[
            ebml_uint(&[0x42, 0x86], 1),  // EBMLVersion
            ebml_uint(&[0x42, 0xF7], 1),  // EBMLReadVersion
            ebml_uint(&[0x42, 0xF2], 4),  // EBMLMaxIDLength
            ebml_uint(&[0x42, 0xF3], 8),  // EBMLMaxSizeLength
            ebml(&[0x42, 0x82], b"webm"), // DocType
            ebml_uint(&[0x42, 0x87], 4),  // DocTypeVersion
            ebml_uint(&[0x42, 0x85], 2),  // DocTypeReadVersion
        ]
        .concat(),
    );
    let info = ebml(
        &[0x15, 0x49, 0xA9, 0x66],
        &[
            ebml_uint(&[0x2A, 0xD7, 0xB1], 1_000_000), // TimestampScale: 1 ms
            ebml_float(&[0x44, 0x89], ms as f64),      // Duration, in ms
            ebml(&[0x4D, 0x80], b"mikopbx-sim"),       // MuxingApp
            ebml(&[0x57, 0x41], b"mikopbx-sim"),       // WritingApp
        ]
        .concat(),
    );
    let track = ebml(
        &[0xAE],
        &[
            ebml_uint(&[0xD7], 1),                // TrackNumber
            ebml_uint(&[0x73, 0xC5], 1),          // TrackUID
            ebml_uint(&[0x83], 2),                // TrackType: audio
            ebml(&[0x86], b"A_OPUS"),             // CodecID
            ebml(&[0x63, 0xA2], &opus_head()),    // CodecPrivate
            ebml_uint(&[0x56, 0xAA], 6_500_000),  // CodecDelay (ns): the pre-skip
            ebml_uint(&[0x56, 0xBB], 80_000_000), // SeekPreRoll (ns)
            ebml(
                &[0xE1],
                &[
                    ebml_float(&[0xB5], 48_000.0), // SamplingFrequency
                    ebml_uint(&[0x9F], 1),         // Channels
                ]
                .concat(),
            ),
        ]
        .concat(),
    );
    let tracks = ebml(&[0x16, 0x54, 0xAE, 0x6B], &track);
    // Clusters of up to one second of 20 ms SimpleBlocks.
    let mut clusters = Vec::new();
    let total = opus_packets(ms);
    let mut n = 0u64;
    while n < total {
        let cluster_ms = n * 20;
        let mut body = ebml_uint(&[0xE7], cluster_ms); // Cluster Timestamp
        for k in 0..(total - n).min(50) {
            let rel = (k * 20) as i16;
            let mut block = vec![0x81]; // track 1 as a vint
            block.extend_from_slice(&rel.to_be_bytes());
            block.push(0x80); // keyframe
            block.extend_from_slice(&OPUS_SILENCE);
            body.extend(ebml(&[0xA3], &block));
        }
        n += (total - n).min(50);
        clusters.extend(ebml(&[0x1F, 0x43, 0xB6, 0x75], &body));
    }
    let segment = ebml(
        &[0x18, 0x53, 0x80, 0x67],
        &[info, tracks, clusters].concat(),
    );
    [header, segment].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp3_and_wav_have_the_calls_length() {
        let mp3 = silent_mp3(2500);
        assert_eq!(mp3.len(), 70 * 144);
        assert_eq!(&mp3[..4], &[0xFF, 0xFB, 0x18, 0xC4]);
        let wav = silent_wav(2500);
        assert_eq!(wav.len(), 44 + 40_000);
        assert_eq!(&wav[..4], b"RIFF");
    }

    #[test]
    fn the_four_formats_start_as_their_type_says() {
        assert_eq!(&silent_mp3(100)[..2], &[0xFF, 0xFB]);
        assert_eq!(&silent_wav(100)[..4], b"RIFF");
        let ogg = silent_ogg(2500);
        assert_eq!(&ogg[..4], b"OggS");
        assert_eq!(&ogg[28..36], b"OpusHead");
        let webm = silent_webm(2500);
        assert_eq!(&webm[..4], &[0x1A, 0x45, 0xDF, 0xA3]);
        assert!(webm.windows(6).any(|w| w == b"A_OPUS"));
    }

    #[test]
    fn ogg_pages_carry_valid_checksums_and_the_exact_length() {
        let ogg = silent_ogg(2500);
        let mut at = 0;
        let mut last_granule = 0;
        while at < ogg.len() {
            assert_eq!(&ogg[at..at + 4], b"OggS");
            let segments = ogg[at + 26] as usize;
            let body: usize = ogg[at + 27..at + 27 + segments]
                .iter()
                .map(|&b| b as usize)
                .sum();
            let end = at + 27 + segments + body;
            let mut page = ogg[at..end].to_vec();
            let crc = u32::from_le_bytes(page[22..26].try_into().unwrap());
            page[22..26].copy_from_slice(&[0; 4]);
            assert_eq!(ogg_crc(&page), crc);
            last_granule = u64::from_le_bytes(ogg[at + 6..at + 14].try_into().unwrap());
            at = end;
        }
        assert_eq!(last_granule - u64::from(PRE_SKIP), 2500 * 48);
    }
}
