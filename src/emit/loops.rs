//! `convc emit --loops`: the schedule ([`LoopNest`]) printed as the loops the generated code
//! runs, in the manner of Halide's `print_loop_nest`. It reads only the `LoopNest` and mirrors
//! what `jit::emit` does with it (group and filter-block loops outside, then batch, then one
//! loop per interior stretch and straight-line code per border position, the innermost
//! interior cut into register blocks plus a tail block).

use crate::jit::lower::{merged_borders, BlockRun, ConvFamily, LoopNest, Segment};
use std::fmt::{self, Write};

/// Loop variable names, outermost spatial axis first.
fn axis_names(rank: usize) -> &'static [&'static str] {
    match rank {
        1 => &["x"],
        2 => &["y", "x"],
        _ => &["z", "y", "x"],
    }
}

/// `[pad 0 1]`: the input cell each tap of a border position reads.
pub fn sources(sources: &[Option<usize>]) -> String {
    let cells: Vec<String> = sources
        .iter()
        .map(|s| s.map_or_else(|| "pad".to_string(), |i| i.to_string()))
        .collect();
    format!("[{}]", cells.join(" "))
}

fn run_text(run: &BlockRun) -> String {
    if run.lanes == 1 {
        format!("{} scalar channel(s)", run.vectors)
    } else if run.lanes == 16 {
        format!(
            "{} x f32x16 = {} channels, an assembled AVX-512 kernel per block",
            run.vectors,
            run.width()
        )
    } else {
        format!(
            "{} x f32x{} = {} channels",
            run.vectors,
            run.lanes,
            run.width()
        )
    }
}

/// What the kernel of one block of `pixels` output positions computes.
fn block_text(nest: &LoopNest, pixels: usize) -> String {
    match nest.family {
        ConvFamily::Broadcast => format!(
            "block: {pixels} pixel(s) x this filter block's channels, \
             one input value broadcast per tap and input channel, fma into the accumulators"
        ),
        ConvFamily::Channelwise => {
            let runs: Vec<String> = nest
                .runs
                .iter()
                .map(|r| format!("{} x ({})", r.count, run_text(r)))
                .collect();
            format!(
                "block: {pixels} pixel(s) x all {} channels in runs {}, one weight per lane",
                nest.out_channels,
                runs.join(" + ")
            )
        }
        ConvFamily::PixelVector => format!(
            "block: {pixels} neighbouring pixel(s), f32x4 vectors then scalars, weights held in registers"
        ),
    }
}

/// The filter blocks of one group, and how many groups there are (the group loop is outermost
/// for broadcast kernels).
fn groups(nest: &LoopNest) -> (usize, usize) {
    let per_group: usize = nest.runs.iter().map(|r| r.count * r.width()).sum();
    (nest.out_channels / per_group.max(1), per_group)
}

impl fmt::Display for LoopNest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims = |v: &[usize], c: usize| {
            let mut parts: Vec<String> = v.iter().map(usize::to_string).collect();
            parts.push(c.to_string());
            parts.join("x")
        };
        writeln!(
            f,
            "{:?} kernel: input {} -> output {}, batch {}, blocks of {} pixel(s)",
            self.family,
            dims(&self.in_spatial, self.in_channels),
            dims(&self.out_spatial, self.out_channels),
            self.batch,
            self.pixels
        )?;
        let mut out = String::new();
        let mut depth = 0;
        if self.family == ConvFamily::Broadcast {
            let (groups, per_group) = groups(self);
            let _ = writeln!(
                out,
                "for g in 0..{groups}:  # groups of {per_group} filter(s)"
            );
            depth += 1;
            for run in &self.runs {
                let _ = writeln!(
                    out,
                    "{}for f in 0..{}:  # filter blocks of {}",
                    "  ".repeat(depth),
                    run.count,
                    run_text(run)
                );
                self.spatial(&mut out, depth + 1);
            }
        } else {
            self.spatial(&mut out, depth);
        }
        f.write_str(&out)
    }
}

impl LoopNest {
    /// The batch loop and the spatial axes, at `depth` levels of indentation.
    fn spatial(&self, out: &mut String, depth: usize) {
        let _ = writeln!(out, "{}for n in 0..{}:", "  ".repeat(depth), self.batch);
        // Dense and grouped kernels run mirrored border positions as one loop.
        let merge = self.family == ConvFamily::Broadcast;
        axes(
            out,
            &self.segments,
            self.pixels,
            merge,
            depth + 1,
            &|pixels| block_text(self, pixels),
        );
    }
}

/// Prints the spatial loops over `segments` (outermost axis first), the innermost interior
/// cut into blocks of `pixels` plus a tail block; `block(n)` describes a block of `n` pixels.
/// `merge`: border positions of outer axes that read the same taps shifted share one loop
/// (`lower::merged_borders`).
pub fn axes(
    out: &mut String,
    segments: &[Vec<Segment>],
    pixels: usize,
    merge: bool,
    depth: usize,
    block: &dyn Fn(usize) -> String,
) {
    axis(out, segments, 0, pixels, merge, depth, block);
}

fn axis(
    out: &mut String,
    segments: &[Vec<Segment>],
    a: usize,
    pixels: usize,
    merge: bool,
    depth: usize,
    block: &dyn Fn(usize) -> String,
) {
    let names = axis_names(segments.len());
    let name = names.get(a).copied().unwrap_or("i");
    let pad = "  ".repeat(depth);
    let innermost = a + 1 == segments.len();
    let merged = if merge && !innermost {
        merged_borders(&segments[a])
    } else {
        Vec::new()
    };
    for segment in &segments[a] {
        match segment {
            Segment::Interior { start, len } if innermost => {
                let per_block = pixels.min(*len).max(1);
                let (full, tail) = (len / per_block, len % per_block);
                let _ = writeln!(
                    out,
                    "{pad}for {name} in {start}..{} step {per_block}:  # interior, no checks: {full} block(s)",
                    start + per_block * full
                );
                let _ = writeln!(out, "{pad}  {}", block(per_block));
                if tail > 0 {
                    let _ = writeln!(
                        out,
                        "{pad}{name} in {}..{}:  # tail block",
                        start + per_block * full,
                        start + len
                    );
                    let _ = writeln!(out, "{pad}  {}", block(tail));
                }
            }
            Segment::Interior { start, len } => {
                let _ = writeln!(
                    out,
                    "{pad}for {name} in {start}..{}:  # interior, no checks",
                    start + len
                );
                axis(out, segments, a + 1, pixels, merge, depth + 1, block);
            }
            Segment::Border { pos, sources: s } => {
                let group = merged.iter().find(|m| {
                    (0..m.count as i64).any(|i| m.pos as i64 + i * m.pos_step == *pos as i64)
                });
                match group {
                    Some(m) if m.pos != *pos => continue,
                    Some(m) => {
                        let positions: Vec<String> = (0..m.count as i64)
                            .map(|i| (m.pos as i64 + i * m.pos_step).to_string())
                            .collect();
                        let _ = writeln!(
                            out,
                            "{pad}for {name} in [{}]:  # border, one loop: the same taps \
                             shifted by {} per position, first reading {}",
                            positions.join(", "),
                            m.tap_step,
                            sources(s)
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "{pad}{name} = {pos}:  # border, taps read {}",
                            sources(s)
                        );
                    }
                }
                if innermost {
                    let _ = writeln!(out, "{pad}  {}", block(1));
                } else {
                    axis(out, segments, a + 1, pixels, merge, depth + 1, block);
                }
            }
        }
    }
}
