from .segment import ChangeKind, Segment, SegmentChange, SegmentMembership

__all__ = ["ChangeKind", "Segment", "SegmentChange", "SegmentMembership"]
