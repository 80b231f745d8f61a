"""What visitors and listeners use: the pages (home, shelves, documents, search), their JSON API, the sentence
audio, the phones' service worker, and the anonymous usage counts those pages send."""
