import { createPinia } from 'pinia';
import { createApp } from 'vue';
import 'element-plus/theme-chalk/el-message.css';
import 'element-plus/theme-chalk/el-message-box.css';
import '@/styles/base.css';
import App from './App.vue';
import { router } from './router';

const app = createApp(App);
app.use(createPinia());
app.use(router);
// Never a blank page: a render error shows a message and a way back (App.vue listens).
app.config.errorHandler = (err) => {
  console.error(err);
  window.dispatchEvent(new CustomEvent('console-error', { detail: err instanceof Error ? err.message : String(err) }));
};
app.mount('#app');
