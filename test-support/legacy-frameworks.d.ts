// The previous majors are installed under aliases (express4, koa2) that ship no types of their
// own; the adapter tests only need them typed like the current majors.
declare module 'express4' {
  import express from 'express';
  export default express;
}

declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
