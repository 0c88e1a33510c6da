import { createApp } from 'vue';
import 'vant/es/toast/style';
import './styles.css';
import App from './App.vue';
import { applyLargeText, largeText } from './large-text';

applyLargeText(largeText.value);
createApp(App).mount('#app');
