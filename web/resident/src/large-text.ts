import { ref, watch } from 'vue';

const KEY = 'xinyi.resident.largeText';

function stored(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

/** 大字: remembered on this phone (localStorage), applied as a class on <html>. */
export const largeText = ref(stored());

export function applyLargeText(on: boolean): void {
  document.documentElement.classList.toggle('large-text', on);
}

watch(largeText, (on) => {
  applyLargeText(on);
  try {
    localStorage.setItem(KEY, on ? '1' : '0');
  } catch {
    // Private mode: the choice lasts for this visit only.
  }
});
