// bits-ui's dropdown menu (with floating-ui and its focus handling), loaded by LazyMenu on first use.
import { DropdownMenu } from 'bits-ui';

export default DropdownMenu;
