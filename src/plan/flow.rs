//! What a step does around its one call: the accepted connection it uses,
//! a reply computed from what was received (`answer:`), and the loop it
//! belongs to (`loop:`). Checked by `lesson::check`, carried out by `run`
//! and `live::exec` from the bytes the calls really moved.

/// `answer: {table: {...}, default: ...}`: the reply to what the step
/// before received, looked up as the tutorial's dictionary server does
/// (`words.get(data, 'no')`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Rows in the order the lesson writes them: request → reply.
    pub table: Vec<(Vec<u8>, Vec<u8>)>,
    pub default: Vec<u8>,
}

impl Answer {
    /// The reply to `received`, and the table row (from 1) that chose it;
    /// `None` when no row matches and the default answers.
    pub fn choose(&self, received: &[u8]) -> (&[u8], Option<usize>) {
        match self.table.iter().position(|(ask, _)| ask == received) {
            Some(i) => (&self.table[i].1, Some(i + 1)),
            None => (&self.default, None),
        }
    }
}

/// When a loop stops early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Until {
    /// After the iteration in which one of its steps sent or received
    /// exactly these bytes (the tutorial's client: `if c == 'bye': break`
    /// once the answer is read).
    Data(Vec<u8>),
    /// At once, when one of its reads returns end of stream (the
    /// tutorial's server: `if not data: break`).
    Eof,
}

/// A step's place in a loop. A loop is planned unrolled to its bound, so
/// every step keeps one number; the run leaves out the iterations an
/// `until` cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopMark {
    /// Which loop of the lesson, from 1.
    pub id: usize,
    /// Which iteration, from 1.
    pub iteration: usize,
    /// The last step of its iteration.
    pub last_in_iteration: bool,
    pub until: Option<Until>,
    /// The index (in `Plan::steps`) of the first step after the loop.
    pub end: usize,
}

/// What a step of a loop did to the loop, from the data its call moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopTurn {
    /// Go on with the next step.
    Continue,
    /// `until` met: finish this iteration, then leave the loop.
    EndsAfterIteration,
    /// `until: eof` met: leave the loop now.
    EndsNow,
}

impl LoopMark {
    /// What the call's outcome does to the loop: `data` is what it sent or
    /// received (`None` when it moved nothing), `read` whether it was a read.
    pub fn turn(&self, ok: bool, read: bool, data: Option<&[u8]>) -> LoopTurn {
        match (&self.until, data) {
            (Some(Until::Eof), Some(d)) if ok && read && d.is_empty() => LoopTurn::EndsNow,
            (Some(Until::Data(want)), Some(d)) if ok && d == want.as_slice() => {
                LoopTurn::EndsAfterIteration
            }
            _ => LoopTurn::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_chooses_by_exact_bytes_else_the_default() {
        let a = Answer {
            table: vec![
                (b"how are u".to_vec(), b"fine".to_vec()),
                (b"how old are u".to_vec(), b"nicai".to_vec()),
            ],
            default: b"no".to_vec(),
        };
        assert_eq!(a.choose(b"how old are u"), (&b"nicai"[..], Some(2)));
        assert_eq!(a.choose(b"how are u"), (&b"fine"[..], Some(1)));
        assert_eq!(a.choose(b"how are u "), (&b"no"[..], None));
        assert_eq!(a.choose(b""), (&b"no"[..], None));
    }

    #[test]
    fn until_ends_the_loop_from_the_data_moved() {
        let mark = |until| LoopMark {
            id: 1,
            iteration: 1,
            last_in_iteration: false,
            until: Some(until),
            end: 9,
        };
        let eof = mark(Until::Eof);
        assert_eq!(eof.turn(true, true, Some(b"")), LoopTurn::EndsNow);
        assert_eq!(eof.turn(true, true, Some(b"x")), LoopTurn::Continue);
        // An empty send is not an end of stream.
        assert_eq!(eof.turn(true, false, Some(b"")), LoopTurn::Continue);
        assert_eq!(eof.turn(false, true, None), LoopTurn::Continue);
        let bye = mark(Until::Data(b"bye".to_vec()));
        assert_eq!(
            bye.turn(true, false, Some(b"bye")),
            LoopTurn::EndsAfterIteration
        );
        assert_eq!(bye.turn(true, true, Some(b"byebye")), LoopTurn::Continue);
        assert_eq!(bye.turn(false, true, Some(b"bye")), LoopTurn::Continue);
    }
}
