"""One module per feature; each handler reads parse → decide → reply and calls services, never storage."""
