// Reads a file (or a byte range of it) with File.stream() and discards the bytes.
self.onmessage = async (e) => {
  const { file, start, end } = e.data;
  const blob = start === 0 && end === file.size ? file : file.slice(start, end);
  const reader = blob.stream().getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  self.postMessage({ bytes });
};
