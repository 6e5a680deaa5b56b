//! The layout every dissection keeps, whatever the bytes: each layer lies in
//! the frame, layers follow one another without overlapping, and each field
//! lies inside its own layer. A renderer relies on it (a hex dump colours each
//! byte by the one layer that owns it; a header diagram draws only its own
//! bytes), and the fuzz tests check it on every input.
//!
//! One exception, as in Wireshark: bytes after the network packet's end
//! (Ethernet padding or a trailer) are the Ethernet layer's `padding` field.
//! That field lies after every other layer.

use super::ethernet::PADDING_FIELD;
use super::{Dissection, Field, Layer};
use core::fmt;

/// A way a dissection breaks the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// Layer `index` runs past the end of the frame.
    LayerOutsideFrame {
        index: usize,
        protocol: String,
        end: usize,
        frame_len: usize,
    },
    /// Layer `index` starts before the previous layer ends.
    LayersOverlap {
        index: usize,
        protocol: String,
        start: usize,
        previous: String,
        previous_end: usize,
    },
    /// A field's bytes (or bits) are not all inside its layer.
    FieldOutsideLayer {
        protocol: String,
        field: String,
        start: usize,
        end: usize,
        layer_start: usize,
        layer_end: usize,
    },
    /// A field of no bytes, or whose bits are not inside its bytes.
    BadFieldExtent { protocol: String, field: String },
    /// `Dissection::payload` is not the range of a `Payload` layer.
    PayloadMismatch { payload: (usize, usize) },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::LayerOutsideFrame {
                index,
                protocol,
                end,
                frame_len,
            } => write!(
                f,
                "layer {index} ({protocol}) ends at byte {end}, after the frame's {frame_len} bytes"
            ),
            LayoutError::LayersOverlap {
                index,
                protocol,
                start,
                previous,
                previous_end,
            } => write!(
                f,
                "layer {index} ({protocol}) starts at byte {start}, before {previous} ends at byte {previous_end}"
            ),
            LayoutError::FieldOutsideLayer {
                protocol,
                field,
                start,
                end,
                layer_start,
                layer_end,
            } => write!(
                f,
                "{protocol} field \"{field}\" covers bytes {start}..{end}, outside its layer's bytes {layer_start}..{layer_end}"
            ),
            LayoutError::BadFieldExtent { protocol, field } => write!(
                f,
                "{protocol} field \"{field}\" has no bytes, or bits outside its bytes"
            ),
            LayoutError::PayloadMismatch { payload: (at, n) } => write!(
                f,
                "the payload ({n} bytes at {at}) is not the range of a Payload layer"
            ),
        }
    }
}

impl std::error::Error for LayoutError {}

fn end_of(offset: usize, length: usize) -> usize {
    offset.saturating_add(length)
}

/// Bits inside bytes, and at least one byte.
fn extent_ok(fl: &Field) -> bool {
    let bits_start = fl.offset.checked_mul(8);
    let bytes_end = end_of(fl.offset, fl.length).checked_mul(8);
    fl.length >= 1
        && fl.bit_length >= 1
        && matches!((bits_start, bytes_end), (Some(a), Some(b))
            if fl.bit_offset >= a && end_of(fl.bit_offset, fl.bit_length) <= b)
}

fn field_outside(l: &Layer, fl: &Field, layer_start: usize, layer_end: usize) -> LayoutError {
    LayoutError::FieldOutsideLayer {
        protocol: l.protocol.clone(),
        field: fl.name.to_string(),
        start: fl.offset,
        end: end_of(fl.offset, fl.length),
        layer_start,
        layer_end,
    }
}

impl Layer {
    /// Every field of this layer (alone, e.g. an application message
    /// decoded apart from its frame) lies inside it, with bits inside bytes.
    pub fn check_fields_inside(&self) -> Result<(), LayoutError> {
        let (lo, hi) = (self.offset, end_of(self.offset, self.length));
        for fl in &self.fields {
            if !extent_ok(fl) {
                return Err(LayoutError::BadFieldExtent {
                    protocol: self.protocol.clone(),
                    field: fl.name.to_string(),
                });
            }
            if fl.offset < lo || end_of(fl.offset, fl.length) > hi {
                return Err(field_outside(self, fl, lo, hi));
            }
        }
        Ok(())
    }
}

impl Dissection {
    /// Checks the layout (see the module comment) against a frame of
    /// `frame_len` bytes; the first break found, if any.
    pub fn check_layout(&self, frame_len: usize) -> Result<(), LayoutError> {
        let mut previous: Option<(&Layer, usize)> = None;
        for (index, l) in self.layers.iter().enumerate() {
            let end = end_of(l.offset, l.length);
            if end > frame_len {
                return Err(LayoutError::LayerOutsideFrame {
                    index,
                    protocol: l.protocol.clone(),
                    end,
                    frame_len,
                });
            }
            if let Some((p, previous_end)) = previous
                && l.offset < previous_end
            {
                return Err(LayoutError::LayersOverlap {
                    index,
                    protocol: l.protocol.clone(),
                    start: l.offset,
                    previous: p.protocol.clone(),
                    previous_end,
                });
            }
            previous = Some((l, end));
        }
        // Where the last layer ends: a trailer starts there or later.
        let layers_end = previous.map_or(0, |(_, end)| end);
        for (index, l) in self.layers.iter().enumerate() {
            let end = end_of(l.offset, l.length);
            for fl in &l.fields {
                if !extent_ok(fl) {
                    return Err(LayoutError::BadFieldExtent {
                        protocol: l.protocol.clone(),
                        field: fl.name.to_string(),
                    });
                }
                let field_end = end_of(fl.offset, fl.length);
                let trailer = index == 0 && l.protocol == "Ethernet" && fl.name == PADDING_FIELD;
                let (lo, hi) = if trailer {
                    (layers_end, frame_len)
                } else {
                    (l.offset, end)
                };
                if fl.offset < lo || field_end > hi {
                    return Err(field_outside(l, fl, lo, hi));
                }
            }
        }
        if let Some((at, n)) = self.payload {
            let matches = self
                .layers
                .iter()
                .any(|l| l.protocol == "Payload" && l.offset == at && l.length == n);
            if !matches {
                return Err(LayoutError::PayloadMismatch { payload: (at, n) });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::dissect;
    use crate::dissect::testdata::*;

    #[test]
    fn real_frames_keep_the_layout() {
        for f in all_frames() {
            assert_eq!(dissect(&f).check_layout(f.len()), Ok(()));
        }
    }

    #[test]
    fn breaks_are_found_and_named() {
        let f = frame(UDP4_HELLO);
        let good = dissect(&f);

        let mut d = good.clone();
        d.layers[2].offset = 30;
        let e = d.check_layout(f.len()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "layer 2 (UDP) starts at byte 30, before IPv4 ends at byte 34"
        );

        let mut d = good.clone();
        // UDP's source port moved into the IPv4 header.
        let port = &mut d.layers[2].fields[0];
        port.offset = 32;
        port.bit_offset = 32 * 8;
        assert!(matches!(
            d.check_layout(f.len()),
            Err(LayoutError::FieldOutsideLayer { .. })
        ));

        let mut d = good.clone();
        d.layers[0].fields[0].length = 0;
        assert!(matches!(
            d.check_layout(f.len()),
            Err(LayoutError::BadFieldExtent { .. })
        ));

        assert!(matches!(
            good.check_layout(f.len() - 1),
            Err(LayoutError::LayerOutsideFrame { .. })
        ));

        let mut d = good.clone();
        d.payload = Some((40, 7));
        assert!(matches!(
            d.check_layout(f.len()),
            Err(LayoutError::PayloadMismatch { .. })
        ));

        // Padding is the Ethernet layer's, after every other layer; any other
        // Ethernet field out there is a break.
        let f = frame(&padded_udp());
        let mut d = dissect(&f);
        assert_eq!(d.check_layout(f.len()), Ok(()));
        d.layers[0].fields.last_mut().unwrap().offset = 40;
        assert!(d.check_layout(f.len()).is_err());
        let mut d = dissect(&f);
        d.layers[0].fields[0].offset = 50;
        assert!(d.check_layout(f.len()).is_err());
    }
}
