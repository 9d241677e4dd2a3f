/** An admin stand-in for the listener's positioning: one partition, its end at offset 0. */
export const oneEmptyPartitionAdmin = () =>
  Promise.resolve({
    fetchEndOffsets: () => Promise.resolve([{ partition: 0, offset: '0' }]),
    setGroupOffsets: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
  });
