//! `pyward models info FILE`: what a GGUF file holds and how well pyward can run it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::ModelsError;
use super::gguf::{file_type_name, ggml_type, GgufHeader, MetaValue, Support};

/// Tensors of one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuantCount {
    /// ggml type name (Q8_0, Q4_K, F32, IQ2_XS, ...).
    pub ggml_type: String,
    pub tensors: u64,
    pub elements: u64,
    /// `fast`, `slow-scalar` or `unsupported` on candle's CPU backend.
    pub support: String,
}

/// A summary of a GGUF file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub file_size: u64,
    pub gguf_version: u32,
    pub name: Option<String>,
    pub architecture: Option<String>,
    /// Total elements of all tensors.
    pub parameters: u64,
    /// `general.file_type` as a name (Q4_K_M, ...), when present.
    pub file_type: Option<String>,
    /// Per ggml type, by element count descending.
    pub quant_types: Vec<QuantCount>,
    pub context_length: Option<u64>,
    pub block_count: Option<u64>,
    pub embedding_length: Option<u64>,
    pub tokenizer_model: Option<String>,
    pub tokenizer_pre: Option<String>,
    pub vocab_size: Option<u64>,
    pub chat_template: bool,
    pub license: Option<String>,
    /// Problems and advice, one sentence each.
    pub warnings: Vec<String>,
    /// Whether candle can load every tensor type in the file.
    pub loadable: bool,
}

/// Reads `path` and summarizes it.
pub fn inspect(path: &Path) -> Result<ModelInfo, ModelsError> {
    let meta = std::fs::metadata(path).map_err(|e| ModelsError::io(path, e))?;
    if !meta.is_file() {
        return Err(ModelsError::BadPath {
            path: path.to_path_buf(),
            message: "not a regular file".to_string(),
        });
    }
    let h = GgufHeader::read(path)?;
    let arch = h.get_str("general.architecture").map(str::to_string);
    let arch_key = |k: &str| arch.as_ref().and_then(|a| h.get_u64(&format!("{a}.{k}")));

    let mut by_type: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    let mut parameters = 0u64;
    for t in &h.tensors {
        let e = t.elements();
        parameters = parameters.saturating_add(e);
        let slot = by_type.entry(t.ggml_type).or_default();
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(e);
    }
    let mut quant_types: Vec<QuantCount> = by_type
        .iter()
        .map(|(&id, &(n, e))| {
            let (name, support) = ggml_type(id);
            QuantCount {
                ggml_type: if name == "unknown" {
                    format!("type {id}")
                } else {
                    name.to_string()
                },
                tensors: n,
                elements: e,
                support: support_name(support).to_string(),
            }
        })
        .collect();
    quant_types.sort_by(|a, b| {
        b.elements
            .cmp(&a.elements)
            .then(a.ggml_type.cmp(&b.ggml_type))
    });

    let mut warnings = Vec::new();
    let unsupported: Vec<&QuantCount> = quant_types
        .iter()
        .filter(|q| q.support == "unsupported")
        .collect();
    if !unsupported.is_empty() {
        let list = unsupported
            .iter()
            .map(|q| format!("{} ({} tensors)", q.ggml_type, q.tensors))
            .collect::<Vec<_>>()
            .join(", ");
        warnings.push(format!(
            "unsupported tensor types: {list}. candle (pyward's inference engine) cannot load IQ*/TQ*/MXFP4 \
             or integer tensors, so this file cannot be used; get a Q4_K_M, Q8_0 or Q4_0 file of the same model"
        ));
    }
    let slow: Vec<&QuantCount> = quant_types
        .iter()
        .filter(|q| q.support == "slow-scalar")
        .collect();
    if !slow.is_empty() {
        let slow_elems: u64 = slow.iter().map(|q| q.elements).sum();
        let share = if parameters > 0 {
            slow_elems as f64 * 100.0 / parameters as f64
        } else {
            0.0
        };
        let names = slow
            .iter()
            .map(|q| q.ggml_type.as_str())
            .collect::<Vec<_>>()
            .join("/");
        warnings.push(format!(
            "{share:.0}% of the weights are {names}, which candle runs with scalar CPU kernels \
             (several times slower than Q8_0/Q4_K_M/Q4_0). pyward's loader requantizes these tensors \
             at load time, which costs load time and memory; a Q8_0, Q4_K_M or Q4_0 file of the same \
             model avoids both"
        ));
    }
    let loadable = unsupported.is_empty();
    let chat_template = h.get("tokenizer.chat_template").is_some();
    if !chat_template {
        warnings.push(
            "no chat template (tokenizer.chat_template): probably a base model, not an instruction-tuned one; \
             pyward's prompts expect an instruct model"
                .to_string(),
        );
    }
    if arch.is_none() {
        warnings.push(
            "no general.architecture: pyward cannot tell which model code to run".to_string(),
        );
    }

    Ok(ModelInfo {
        path: path.to_path_buf(),
        file_size: meta.len(),
        gguf_version: h.version,
        name: h.get_str("general.name").map(str::to_string),
        architecture: arch.clone(),
        parameters,
        file_type: h.get_u64("general.file_type").map(|id| {
            file_type_name(id)
                .map(str::to_string)
                .unwrap_or_else(|| format!("type {id}"))
        }),
        quant_types,
        context_length: arch_key("context_length"),
        block_count: arch_key("block_count"),
        embedding_length: arch_key("embedding_length"),
        tokenizer_model: h.get_str("tokenizer.ggml.model").map(str::to_string),
        tokenizer_pre: h.get_str("tokenizer.ggml.pre").map(str::to_string),
        vocab_size: h
            .get("tokenizer.ggml.tokens")
            .and_then(MetaValue::array_len),
        chat_template,
        license: h.get_str("general.license").map(str::to_string),
        loadable,
        warnings,
    })
}

fn support_name(s: Support) -> &'static str {
    match s {
        Support::Fast => "fast",
        Support::SlowScalar => "slow-scalar",
        Support::Unsupported => "unsupported",
    }
}

/// Formats a count as 1.54B / 135M / 12K.
pub fn human_count(n: u64) -> String {
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.2}B", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.0}M", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.0}K", f / 1e3)
    } else {
        n.to_string()
    }
}

/// Formats a byte count (MiB/GiB).
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if f >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", f / (1u64 << 30) as f64)
    } else if f >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", f / (1u64 << 20) as f64)
    } else {
        format!("{n} B")
    }
}

/// The human-readable report.
pub fn render(info: &ModelInfo) -> String {
    let mut s = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let optn = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".to_string());
    let _ = writeln!(s, "file:            {}", info.path.display());
    let _ = writeln!(
        s,
        "size:            {} ({} bytes), GGUF v{}",
        human_bytes(info.file_size),
        info.file_size,
        info.gguf_version
    );
    let _ = writeln!(s, "name:            {}", opt(&info.name));
    let _ = writeln!(s, "architecture:    {}", opt(&info.architecture));
    let _ = writeln!(
        s,
        "parameters:      {} ({})",
        human_count(info.parameters),
        info.parameters
    );
    let _ = writeln!(s, "file type:       {}", opt(&info.file_type));
    let _ = writeln!(s, "context length:  {}", optn(info.context_length));
    let _ = writeln!(s, "layers:          {}", optn(info.block_count));
    let _ = writeln!(s, "embedding:       {}", optn(info.embedding_length));
    let _ = writeln!(
        s,
        "tokenizer:       model={} pre={} vocab={}",
        opt(&info.tokenizer_model),
        opt(&info.tokenizer_pre),
        optn(info.vocab_size)
    );
    let _ = writeln!(
        s,
        "chat template:   {}",
        if info.chat_template { "yes" } else { "no" }
    );
    let _ = writeln!(s, "license:         {}", opt(&info.license));
    let _ = writeln!(s, "tensor types:");
    for q in &info.quant_types {
        let share = if info.parameters > 0 {
            q.elements as f64 * 100.0 / info.parameters as f64
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "  {:<8} {:>5} tensors {:>9} params {:>5.1}%  {}",
            q.ggml_type,
            q.tensors,
            human_count(q.elements),
            share,
            q.support
        );
    }
    let _ = writeln!(
        s,
        "loadable by pyward: {}",
        if info.loadable { "yes" } else { "NO" }
    );
    for w in &info.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::gguf::write_test_gguf;
    use super::*;

    fn vocab(n: usize) -> MetaValue {
        MetaValue::Array {
            elem: "string",
            len: n as u64,
            values: (0..n).map(|i| MetaValue::Str(format!("t{i}"))).collect(),
        }
    }

    #[test]
    fn q5_0_file_gets_the_scalar_kernel_warning() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.gguf");
        write_test_gguf(
            &p,
            &[
                ("general.architecture", MetaValue::Str("llama".into())),
                ("general.name", MetaValue::Str("tiny".into())),
                ("general.file_type", MetaValue::UInt(9)),
                ("llama.context_length", MetaValue::UInt(8192)),
                ("llama.block_count", MetaValue::UInt(2)),
                ("tokenizer.ggml.model", MetaValue::Str("gpt2".into())),
                ("tokenizer.ggml.pre", MetaValue::Str("smollm".into())),
                ("tokenizer.ggml.tokens", vocab(10)),
                (
                    "tokenizer.chat_template",
                    MetaValue::Str("{{ messages }}".into()),
                ),
            ],
            &[
                ("blk.0.w", &[64, 64], 7),
                ("blk.1.w", &[64, 64], 7),
                ("norm", &[64], 0),
            ],
        )
        .unwrap();
        let info = inspect(&p).unwrap();
        assert_eq!(info.architecture.as_deref(), Some("llama"));
        assert_eq!(info.parameters, 64 * 64 * 2 + 64);
        assert_eq!(info.file_type.as_deref(), Some("Q5_1"));
        assert_eq!(info.context_length, Some(8192));
        assert_eq!(info.vocab_size, Some(10));
        assert_eq!(info.tokenizer_pre.as_deref(), Some("smollm"));
        assert!(info.chat_template);
        assert!(info.loadable);
        assert_eq!(info.quant_types[0].ggml_type, "Q5_1");
        assert_eq!(info.quant_types[0].tensors, 2);
        assert_eq!(info.quant_types[0].support, "slow-scalar");
        assert_eq!(info.warnings.len(), 1, "{:?}", info.warnings);
        assert!(info.warnings[0].contains("Q5_1"));
        assert!(info.warnings[0].contains("requantizes"));
        let text = render(&info);
        assert!(text.contains("chat template:   yes"), "{text}");
        assert!(text.contains("Q5_1"), "{text}");
    }

    #[test]
    fn iq_types_are_reported_unsupported() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("iq.gguf");
        write_test_gguf(
            &p,
            &[("general.architecture", MetaValue::Str("qwen2".into()))],
            &[("w", &[256, 4], 17), ("e", &[256, 4], 14)],
        )
        .unwrap();
        let info = inspect(&p).unwrap();
        assert!(!info.loadable);
        let w = info.warnings.join("\n");
        assert!(
            w.contains("unsupported tensor types: IQ2_XS (1 tensors)"),
            "{w}"
        );
        assert!(w.contains("no chat template"), "{w}");
        assert!(render(&info).contains("loadable by pyward: NO"));
    }
}
