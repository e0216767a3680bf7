//! Opening a GGUF file: validate it (magic, header, tensor extents, quantization types), read
//! `general.architecture` and build the matching model from [`crate::llm::arch`].

pub use crate::llm::arch::kv_cache::KvPrecision;
use crate::llm::arch::transformer::Transformer;
use crate::llm::arch::{self, has_slow_cpu_kernel, GgufSource};
use crate::llm::kernels::Repack;
use crate::llm::model::{CausalLm, ModelError};
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::GgmlDType;
use candle_core::Device;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use crate::llm::arch::{Requantize, SUPPORTED_ARCHITECTURES};

/// How to load a model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Convert slow-kernel quantization formats to Q8_0 (default: auto).
    pub requantize: Requantize,
    /// CPU threads for inference; `None` keeps the current setting (see
    /// [`crate::llm::kernels::set_threads`]).
    pub threads: Option<usize>,
    /// Use the batched prefill kernel for multi-token forwards (default: on).
    pub prefill_kernel: bool,
    /// Which of candle's repacked weight copies to allow on the CPU; `None` (the default)
    /// chooses from the memory available (see [`crate::llm::kernels::repack`]).
    pub repack: Option<Repack>,
    /// How the host key/value cache stores values (default: f16).
    pub kv_cache: KvPrecision,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            requantize: Requantize::Auto,
            threads: None,
            prefill_kernel: true,
            repack: None,
            kv_cache: KvPrecision::default(),
        }
    }
}

/// A model ready to run, with the GGUF metadata the tokenizer and chat template come from.
pub struct LoadedModel {
    pub model: Box<dyn CausalLm>,
    /// The GGUF header: metadata (tokenizer, chat template, ...) and tensor index.
    pub content: Content,
    /// `general.architecture`.
    pub arch: String,
    /// The file the model came from.
    pub path: PathBuf,
    /// Tensors converted to Q8_0 while loading, with their original type.
    pub requantized: Vec<(String, GgmlDType)>,
    /// Advice for the user (slow formats, requantization); not errors.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("arch", &self.arch)
            .field("path", &self.path)
            .field("requantized", &self.requantized.len())
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Loads the model in the GGUF file at `path` onto `device`.
pub fn load_gguf(
    path: &Path,
    device: &Device,
    opts: &LoadOptions,
) -> Result<LoadedModel, ModelError> {
    let (model, content, requantized, warnings) = load_transformer(path, device, opts)?;
    let arch = model.config().arch.clone();
    Ok(LoadedModel {
        model: Box::new(model),
        content,
        arch,
        path: path.to_path_buf(),
        requantized,
        warnings,
    })
}

/// Tensors converted while loading: (name, original type).
pub type Requantized = Vec<(String, GgmlDType)>;

/// Like [`load_gguf`] but returns the concrete [`Transformer`] (for tests and benchmarks), the
/// header, the requantized tensors and the warnings.
pub fn load_transformer(
    path: &Path,
    device: &Device,
    opts: &LoadOptions,
) -> Result<(Transformer, Content, Requantized, Vec<String>), ModelError> {
    if device.is_cpu() {
        crate::llm::heap::keep_freed_memory();
    }
    let mut warnings = Vec::new();
    if let Some(n) = opts.threads {
        if let Err(e) = crate::llm::kernels::set_threads(n) {
            warnings.push(format!("could not set {n} threads: {e}"));
        }
    }
    let (file, content) = open_gguf(path)?;
    let arch = architecture(path, &content)?;
    let mut slow: Vec<String> = content
        .tensor_infos
        .values()
        .map(|t| t.ggml_dtype)
        .filter(|d| has_slow_cpu_kernel(*d))
        .map(|d| format!("{d:?}"))
        .collect();
    slow.sort();
    slow.dedup();
    let mut src = GgufSource::new(path, &content, file, device, opts.requantize);
    let mut model = match arch.as_str() {
        "llama" => arch::llama::load(&mut src)?,
        "qwen2" => arch::qwen2::load(&mut src)?,
        "qwen3" => arch::qwen3::load(&mut src)?,
        "gemma3" => arch::gemma3::load(&mut src)?,
        other => {
            return Err(ModelError::UnsupportedArchitecture {
                path: path.to_path_buf(),
                arch: other.to_string(),
                supported: SUPPORTED_ARCHITECTURES.join(", "),
            })
        }
    };
    let requantized = std::mem::take(&mut src.requantized);
    drop(src);
    if !opts.prefill_kernel {
        model.set_prefill_min_rows(None);
    }
    model.set_kv_precision(opts.kv_cache);
    if device.is_cpu() {
        let mode = match opts.repack {
            Some(mode) => mode,
            None => auto_repack(path, &mut model, &mut warnings),
        };
        model.set_repack(mode);
    }
    if !slow.is_empty() && device.is_cpu() {
        let names = slow.join(", ");
        if requantized.is_empty() {
            warnings.push(format!(
                "{}: weights in {names} run on slow scalar CPU kernels; a Q4_K_M, Q6_K or Q8_0 file is several times faster",
                path.display()
            ));
        } else {
            warnings.push(format!(
                "{}: converted {} tensors from {names} to Q8_0 at load for speed; a Q8_0 or Q4_K_M file loads faster and skips the extra rounding",
                path.display(),
                requantized.len()
            ));
        }
    }
    Ok((model, content, requantized, warnings))
}

/// The default [`Repack`] mode (see [`Repack::choose`]), with a warning when the decode tiles
/// do not fit the memory available.
fn auto_repack(path: &Path, model: &mut Transformer, warnings: &mut Vec<String>) -> Repack {
    let decode = model.repack_bytes(Repack::DecodeOnly);
    let full = model.repack_bytes(Repack::Full);
    let Some(available) = crate::llm::kernels::repack::available_memory() else {
        return Repack::DecodeOnly;
    };
    let mode = Repack::choose(decode, full, available);
    if mode == Repack::Off {
        let gb = |b: usize| b as f64 / 1e9;
        warnings.push(format!(
            "{}: candle's repacked int8 decode tiles would take {:.1} GB more and {:.1} GB of memory is available: \
             keeping none; every product runs on pyward's own kernels, which is slower but fits",
            path.display(),
            gb(decode),
            gb(available)
        ));
    }
    mode
}

/// `general.architecture` of an opened file.
pub fn architecture(path: &Path, content: &Content) -> Result<String, ModelError> {
    match content.metadata.get("general.architecture") {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ModelError::MissingMetadata {
            path: path.to_path_buf(),
            key: "general.architecture".into(),
        }),
    }
}

/// Opens and validates a GGUF file: magic bytes, header, quantization types and that every
/// tensor's data lies inside the file. Returns the file (for reading tensors) and the header.
pub fn open_gguf(path: &Path) -> Result<(File, Content), ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 64];
    let got = read_up_to(&mut file, &mut head).map_err(io)?;
    let head = &head[..got];
    if head.len() < 4 || &head[..4] != b"GGUF" {
        return Err(ModelError::NotGguf {
            path: path.to_path_buf(),
            reason: describe_non_gguf(head, file_len),
        });
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let content = {
        let mut reader = BufReader::new(&mut file);
        match Content::read(&mut reader) {
            Ok(c) => c,
            Err(e) => {
                if let Some((tensor, dtype)) = find_unsupported_tensor(path) {
                    return Err(ModelError::UnsupportedQuant {
                        path: path.to_path_buf(),
                        tensor,
                        dtype: ggml_type_name(dtype),
                    });
                }
                return Err(ModelError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("bad header: {e}"),
                });
            }
        }
    };
    check_extents(path, &content, file_len)?;
    Ok((file, content))
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn describe_non_gguf(head: &[u8], len: u64) -> String {
    if len == 0 {
        return "the file is empty".into();
    }
    if head.starts_with(b"version https://git-lfs") {
        return "it is a Git LFS pointer, not the model weights; fetch the real file".into();
    }
    if head.starts_with(b"<") {
        return "it looks like an HTML or XML page (a failed download?)".into();
    }
    let text = head
        .iter()
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if text {
        return format!("it looks like a text file ({len} bytes) instead of GGUF model weights");
    }
    let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!(
        "the first bytes are {} instead of the magic `GGUF`",
        shown.join(" ")
    )
}

fn check_extents(path: &Path, content: &Content, file_len: u64) -> Result<(), ModelError> {
    let corrupt = |reason: String| ModelError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    for name in names {
        let info = &content.tensor_infos[name];
        let elems = info.shape.elem_count() as u64;
        let block = info.ggml_dtype.block_size() as u64;
        if !elems.is_multiple_of(block) {
            return Err(corrupt(format!(
                "tensor `{name}` has {elems} elements, not a multiple of the {:?} block size {block}",
                info.ggml_dtype
            )));
        }
        let bytes = (elems / block).checked_mul(info.ggml_dtype.type_size() as u64);
        let end = bytes
            .and_then(|b| b.checked_add(info.offset))
            .and_then(|b| b.checked_add(content.tensor_data_offset));
        match end {
            Some(end) if end <= file_len => {}
            Some(end) => {
                return Err(corrupt(format!(
                    "tensor `{name}` ends at byte {end} but the file has {file_len} bytes (truncated download?)"
                )))
            }
            None => return Err(corrupt(format!("tensor `{name}` has an impossible size or offset"))),
        }
    }
    Ok(())
}

/// The ggml name of a tensor type id (`IQ2_XXS`, `Q4_K`, ...).
pub fn ggml_type_name(id: u32) -> String {
    let name = match id {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        4 => "Q4_2 (removed from ggml)",
        5 => "Q4_3 (removed from ggml)",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        30 => "BF16",
        34 => "TQ1_0",
        35 => "TQ2_0",
        39 => "MXFP4",
        _ => return format!("unknown type {id}"),
    };
    name.to_string()
}

fn supported_type_id(id: u32) -> bool {
    matches!(id, 0..=3 | 6..=15 | 30)
}

/// Walks the GGUF header independently of candle to find the first tensor whose type candle
/// cannot read. `None` when the header is unreadable or every type is supported.
pub fn find_unsupported_tensor(path: &Path) -> Option<(String, u32)> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut r = HeaderReader {
        r: BufReader::new(file),
        len,
        v1: false,
    };
    let mut magic = [0u8; 4];
    r.r.read_exact(&mut magic).ok()?;
    if &magic != b"GGUF" {
        return None;
    }
    let version = r.u32()?;
    r.v1 = version == 1;
    let tensors = r.count()?;
    let kvs = r.count()?;
    for _ in 0..kvs {
        r.string()?;
        let ty = r.u32()?;
        r.skip_value(ty, 0)?;
    }
    for _ in 0..tensors {
        let name = r.string()?;
        let dims = r.u32()?;
        if dims > 8 {
            return None;
        }
        for _ in 0..dims {
            r.count()?;
        }
        let ty = r.u32()?;
        r.u64()?;
        if !supported_type_id(ty) {
            return Some((name, ty));
        }
    }
    None
}

struct HeaderReader {
    r: BufReader<File>,
    len: u64,
    v1: bool,
}

impl HeaderReader {
    fn u32(&mut self) -> Option<u32> {
        let mut b = [0u8; 4];
        self.r.read_exact(&mut b).ok()?;
        Some(u32::from_le_bytes(b))
    }
    fn u64(&mut self) -> Option<u64> {
        let mut b = [0u8; 8];
        self.r.read_exact(&mut b).ok()?;
        Some(u64::from_le_bytes(b))
    }
    fn count(&mut self) -> Option<u64> {
        if self.v1 {
            self.u32().map(u64::from)
        } else {
            self.u64()
        }
    }
    fn skip(&mut self, n: u64) -> Option<()> {
        if n > self.len {
            return None;
        }
        self.r.seek_relative(i64::try_from(n).ok()?).ok()
    }
    fn string(&mut self) -> Option<String> {
        let n = self.count()?;
        if n > self.len {
            return None;
        }
        let mut b = vec![0u8; n as usize];
        self.r.read_exact(&mut b).ok()?;
        Some(String::from_utf8_lossy(&b).into_owned())
    }
    fn skip_value(&mut self, ty: u32, depth: u32) -> Option<()> {
        match ty {
            0 | 1 | 7 => self.skip(1),
            2 | 3 => self.skip(2),
            4..=6 => self.skip(4),
            10..=12 => self.skip(8),
            8 => {
                let n = self.count()?;
                self.skip(n)
            }
            9 if depth < 4 => {
                let inner = self.u32()?;
                let n = self.count()?;
                if n > self.len {
                    return None;
                }
                match inner {
                    0 | 1 | 7 => self.skip(n),
                    2 | 3 => self.skip(n * 2),
                    4..=6 => self.skip(n * 4),
                    10..=12 => self.skip(n * 8),
                    _ => {
                        for _ in 0..n {
                            self.skip_value(inner, depth + 1)?;
                        }
                        Some(())
                    }
                }
            }
            _ => None,
        }
    }
}
